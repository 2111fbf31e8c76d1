import ArgumentParser
import Foundation
import TesseraServer
import TesseraStorage

/// Options every command shares: where the configuration and the database are.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "YAML (or JSON) configuration file. Env: TESSERA_CONFIG.")
    var config: String?

    @Option(
        name: .long,
        help:
            "Database URL: sqlite:PATH, sqlite::memory: or postgres://USER:PASSWORD@HOST:PORT/DB. Env: TESSERA_DATABASE. Default: sqlite:<data-dir>/tessera.sqlite."
    )
    var database: String?

    @Option(name: .customLong("data-dir"), help: "Folder for the default SQLite database. Env: TESSERA_DATA_DIR. Default: ./tessera-data.")
    var dataDirectory: String?

    /// Defaults, then the config file, then the environment, then these flags.
    func loadConfiguration() throws -> ServerConfiguration {
        let environment = ProcessInfo.processInfo.environment
        let path = config ?? environment["TESSERA_CONFIG"]
        var text: String?
        if let path {
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw CommandFailure("cannot read config file \(path): \(error.localizedDescription)")
            }
        }
        do {
            var configuration = try ConfigurationLoader.load(file: text, environment: environment)
            if let database { configuration.database = database }
            if let dataDirectory { configuration.dataDirectory = dataDirectory }
            return configuration
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// Runs `body` on a connection to the configured database, migrated first.
    /// - Parameter body: what to do with the connection.
    /// - Returns: what `body` returns.
    /// - Throws: what loading the configuration, opening the database or `body` throws.
    func withDatabase<T: Sendable>(_ body: @Sendable (StoreConnection) async throws -> T) async throws -> T {
        try await TesseraDatabase.withConnection(url: try loadConfiguration().databaseURL, body)
    }
}

/// Writes `message` and a newline to standard error (what every command reports besides its output).
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// `value` as every command prints JSON: pretty, keys sorted, `/` not escaped.
func prettyJSON(_ value: some Encodable) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
}
