import ArgumentParser

/// The `tessera` command: the server and its administration.
@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Tessera: an OAuth 2 / GNAP authorization server with Cedar policies.",
        // One paragraph per line: ArgumentParser wraps the text itself.
        discussion: """
            Start with `tessera serve` (no configuration needed), then `tessera demo gnap`, `tessera demo chaining` or `tessera demo mcp` to see the flows.

            Every setting can come from a YAML config file (--config), from environment variables (TESSERA_HOST, TESSERA_PORT, TESSERA_ISSUER, TESSERA_DATABASE, TESSERA_DATA_DIR, TESSERA_ACCESS_TOKEN_LIFETIME, TESSERA_REFRESH_TOKEN_LIFETIME, TESSERA_SIGNING_ALGORITHM, TESSERA_LOG_LEVEL, TESSERA_CONFIG) or from flags; later sources win, flags last.

            Private signing keys can be sealed at rest with a key-encryption key from TESSERA_KEY_ENCRYPTION_KEY_FILE or TESSERA_KEY_ENCRYPTION_KEY (or keys.encryption_key_file); `tessera keys encrypt` seals keys already stored.
            """,
        subcommands: [
            Serve.self, Clients.self, Users.self, Tokens.self, Keys.self, GNAPCommand.self, Migrate.self, Export.self, Import.self,
            CedarCommand.self, PolicyCommand.self, Demo.self,
        ]
    )
}
