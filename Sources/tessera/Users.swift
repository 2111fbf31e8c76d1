import ArgumentParser
import Foundation
import TesseraEngine
import TesseraServer
import TesseraStorage

extension Tessera {
    /// `tessera users`: the people who sign in to the GNAP interaction pages.
    struct Users: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the people who sign in to approve GNAP requests (in the server's database).",
            subcommands: [Add.self, List.self, Remove.self, Hash.self]
        )
    }
}

extension Tessera.Users {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user, or set an existing user's password.",
            discussion:
                "Without --password or --password-stdin a random password is generated and printed once. Passwords are stored as PBKDF2-HMAC-SHA256 (600 000 iterations)."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The username (letters, digits, . _ - @).") var username: String
        @Option(help: "The password (visible in the process list; prefer --password-stdin).") var password: String?
        @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of standard input.") var passwordStdin =
            false
        @Option(name: .customLong("display-name"), help: "The name shown on pages.") var displayName: String?
        @Flag(help: "Give a removed person's username to a new person (clients will take them for the one removed).") var force = false

        func run() async throws {
            var chosen = password
            if passwordStdin { chosen = readLine(strippingNewline: true) }
            let generated = chosen == nil
            let secret = chosen ?? ClientSecret.generate()
            let (name, display, force) = (username, displayName, force)
            do {
                try await global.withDatabase { connection in
                    let people = PeopleService(store: connection.stores.people, now: { Date() })
                    if try await connection.stores.clients.client(id: name) != nil {
                        throw ValidationError("'\(name)' is a registered client: \(PartyNames.rule)")
                    }
                    if !force { try await people.refuseRemovedName(name) }
                    try await people.addUser(username: name, password: secret, displayName: display)
                }
            } catch let error as UserDefinitionError {
                throw ValidationError(error.message)
            }
            print("saved user \(username)")
            if generated { print("password: \(secret)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let users = try await global.withDatabase { connection in try await connection.stores.people.users() }
            if users.isEmpty { print("no users") }
            let formatter = ISO8601DateFormatter()
            for user in users {
                print("\(user.username)\t\(user.displayName ?? "")\tcreated \(formatter.string(from: user.createdAt))")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a user: end their sessions, withdraw their consents and revoke every grant they approved."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The username.") var username: String

        func run() async throws {
            let name = username
            let removed = try await global.withDatabase { connection in
                try await connection.stores.people.removeUser(username: name, at: Date())
            }
            guard removed else { throw ValidationError("no user named '\(username)'") }
            print("removed user \(username)")
        }
    }

    struct Hash: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the password_hash of a password read from standard input, for the config file's users: list."
        )
        func run() async throws {
            guard let password = readLine(strippingNewline: true), password.count >= PasswordHasher.minimumLength else {
                throw ValidationError("give a password of at least \(PasswordHasher.minimumLength) characters on standard input")
            }
            print(try PasswordHasher.hash(password))
        }
    }
}
