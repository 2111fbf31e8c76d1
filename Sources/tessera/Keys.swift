import ArgumentParser
import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage

extension Tessera {
    /// `tessera keys`: the server's signing keys.
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the server's signing keys.",
            subcommands: [Rotate.self, List.self, Encrypt.self]
        )
    }
}

extension Tessera.Keys {
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Add a new signing key: published at once, signing after keys.publish_delay; older keys stay published so their tokens keep verifying.",
            discussion: """
                Every running instance publishes the new key at its next refresh (keys.refresh_interval, default 10 s) and \
                signs with it from keys.publish_delay (default 60 s) on, so no token carries a key that an instance's JWKS lacks.
                """
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "ES256, ES384 or EdDSA. Default: the configured signing algorithm.") var algorithm: String?
        @Option(
            name: .customLong("publish-delay"),
            help: "Seconds between publishing the key and signing with it. Default: keys.publish_delay (60)."
        )
        var publishDelay: Double?

        func run() async throws {
            let configuration = try global.loadConfiguration()
            let chosen = JWSAlgorithm(rawValue: algorithm ?? configuration.signingAlgorithm.rawValue)
            if let publishDelay, !(0...(7 * 86_400)).contains(publishDelay) {
                throw ValidationError("--publish-delay must be 0 to 604800 seconds")
            }
            let ring = configuration.keyRingConfiguration
            let delay = publishDelay
            let (kid, signsFrom) = try await TesseraDatabase.withConnection(url: configuration.databaseURL) { connection in
                try await KeyRing(store: connection.stores.keys, configuration: ring, now: { Date() }).rotate(
                    algorithm: chosen,
                    publishDelay: delay
                )
            }
            print("new signing key, published now and signing from \(ISO8601DateFormatter().string(from: signsFrom)): \(kid)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signing keys, newest first.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let keys = try await global.withDatabase { connection in try await connection.stores.keys.all() }
            let formatter = ISO8601DateFormatter()
            let now = Date()
            for key in keys {
                let state =
                    if let retired = key.retiredAt, retired <= now {
                        "retired \(formatter.string(from: retired))"
                    } else if key.signsFrom > now { "published, not yet signing" } else { "current" }
                let protection = PrivateKeyEnvelope.keyID(of: key.privateJWK).map { "encrypted (KEK \($0))" } ?? "plaintext"
                print("\(key.kid)\t\(key.algorithm)\tsigns from \(formatter.string(from: key.signsFrom))\t\(state)\t\(protection)")
            }
        }
    }
}

extension Tessera.Keys {
    /// `tessera keys encrypt`: seals every stored private key under the configured key-encryption key.
    struct Encrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Encrypt the stored private keys with the configured key-encryption key (AES-256-GCM), or re-encrypt them under a new one.",
            discussion: """
                The key-encryption key (32 random bytes, base64 or hex) comes from keys.encryption_key_file, \
                TESSERA_KEY_ENCRYPTION_KEY_FILE or TESSERA_KEY_ENCRYPTION_KEY. Plaintext keys are sealed; keys sealed under \
                the KEK given with --previous-key-file are re-sealed under the configured one. Restart or let the servers \
                refresh with the new KEK configured before removing the previous one.
                """,
            aliases: ["reencrypt"]
        )
        @OptionGroup var global: GlobalOptions
        @Option(
            name: .customLong("previous-key-file"),
            help: "File holding the key-encryption key the keys are sealed under now (when changing KEKs)."
        )
        var previousKeyFile: String?

        func run() async throws {
            let configuration = try global.loadConfiguration()
            guard configuration.keys.encryptionKey != nil else {
                throw ValidationError(
                    "no key-encryption key is configured: set TESSERA_KEY_ENCRYPTION_KEY, TESSERA_KEY_ENCRYPTION_KEY_FILE or keys.encryption_key_file"
                )
            }
            var previous: KeyEncryptionKey?
            if let previousKeyFile {
                guard let text = try? String(contentsOfFile: previousKeyFile, encoding: .utf8) else {
                    throw ValidationError("cannot read the previous key-encryption key file \(previousKeyFile)")
                }
                do { previous = try KeyEncryptionKey(text: text) } catch { throw ValidationError("--previous-key-file: \(error.message)") }
            }
            let ring = configuration.keyRingConfiguration
            let old = previous
            do {
                let count = try await TesseraDatabase.withConnection(url: configuration.databaseURL) { connection in
                    try await KeyRing(store: connection.stores.keys, configuration: ring, now: { Date() }).encryptStoredKeys(previous: old)
                }
                print("encrypted \(count) signing keys under key-encryption key \(configuration.keys.encryptionKey?.id ?? "")")
            } catch let error as KeyEncryptionError {
                throw ValidationError(error.message)
            }
        }
    }
}
