import TesseraServer
import ArgumentParser
import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraStorage

extension Tessera {
    /// `tessera keys`: the server's signing keys.
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the server's signing keys.",
            subcommands: [Rotate.self, List.self]
        )
    }
}

extension Tessera.Keys {
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new current signing key; older keys stay published so their tokens keep verifying.",
            discussion: "A running server picks the new key up within 10 seconds."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "ES256, ES384 or EdDSA. Default: the configured signing algorithm.") var algorithm: String?

        func run() async throws {
            let configuration = try global.loadConfiguration()
            let chosen = JWSAlgorithm(rawValue: algorithm ?? configuration.signingAlgorithm.rawValue)
            let kid = try await TesseraDatabase.withConnection(url: configuration.databaseURL) { connection in
                let ring = KeyRing(store: connection.stores.keys, now: { Date() })
                return try await ring.rotate(algorithm: chosen)
            }
            print("new current signing key: \(kid)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signing keys, newest first.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let keys = try await TesseraDatabase.withConnection(url: try global.loadConfiguration().databaseURL) { connection in
                try await connection.stores.keys.all()
            }
            let formatter = ISO8601DateFormatter()
            for key in keys {
                let state = key.retiredAt.map { "retired \(formatter.string(from: $0))" } ?? "current"
                print("\(key.kid)\t\(key.algorithm)\tcreated \(formatter.string(from: key.createdAt))\t\(state)")
            }
        }
    }
}
