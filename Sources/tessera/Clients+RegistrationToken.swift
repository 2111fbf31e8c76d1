import ArgumentParser
import Foundation
import TesseraEngine
import TesseraServer
import TesseraStorage

extension Tessera.Clients {
    /// `tessera clients registration-token`: initial access tokens for `registration: initial_access_token`
    /// (RFC 7591 §3). The token is printed once; the database keeps its hash.
    struct RegistrationToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "registration-token",
            abstract: "Mint, list and revoke initial access tokens for dynamic client registration.",
            subcommands: [Create.self, List.self, Revoke.self]
        )
    }
}

extension Tessera.Clients.RegistrationToken {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mint an initial access token (printed once; only its hash is stored).",
            discussion: "Give it to whoever may register a client: it goes in `Authorization: Bearer` on POST /register."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "A note on who the token is for.") var label: String = ""
        @Option(name: .customLong("expires-in"), help: "Seconds until the token expires (default one day).") var expiresIn: Int = 86_400
        @Option(help: "How many registrations the token allows.") var uses: Int = 1

        func run() async throws {
            guard (60...31_536_000).contains(expiresIn) else { throw ValidationError("--expires-in must be 60 to 31536000 seconds") }
            guard (1...10_000).contains(uses) else { throw ValidationError("--uses must be 1 to 10000") }
            guard label.utf8.count <= 200, label.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw ValidationError("--label must be at most 200 bytes without control characters")
            }
            let token = ClientSecret.generate()
            let now = Date()
            let record = RegistrationTokenRecord(
                id: String(TokenIssuer.randomHandle().prefix(12)),
                tokenHash: TokenIssuer.hashToken(token),
                label: label,
                createdAt: now,
                expiresAt: now.addingTimeInterval(TimeInterval(expiresIn)),
                remainingUses: uses
            )
            try await global.withDatabase { connection in try await connection.stores.clients.insertRegistrationToken(record) }
            print("registration token \(record.id): \(uses) use(s), expires \(ISO8601DateFormatter().string(from: record.expiresAt))")
            print("initial_access_token: \(token)")
            print("Store this token now: Tessera keeps only a hash of it and cannot show it again.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List initial access tokens (never the tokens themselves).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let tokens = try await global.withDatabase { connection in try await connection.stores.clients.registrationTokens() }
            if tokens.isEmpty { print("no registration tokens") }
            let formatter = ISO8601DateFormatter()
            for token in tokens {
                print(
                    "\(token.id)\tuses_left=\(token.remainingUses)\texpires=\(formatter.string(from: token.expiresAt))\tlabel=\"\(token.label)\""
                )
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an initial access token by its id.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token's id, as `list` shows it.") var id: String

        func run() async throws {
            let id = self.id
            let removed = try await global.withDatabase { connection in
                try await connection.stores.clients.removeRegistrationToken(id: id)
            }
            guard removed else { throw ValidationError("no registration token with id '\(id)'") }
            print("revoked registration token \(id)")
        }
    }
}
