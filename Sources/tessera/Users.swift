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

        func run() async throws {
            var chosen = password
            if passwordStdin { chosen = readLine(strippingNewline: true) }
            let generated = chosen == nil
            let secret = chosen ?? ClientSecret.generate()
            let (name, display) = (username, displayName)
            do {
                try await global.withDatabase { connection in
                    try await PeopleService(store: connection.stores.people, now: { Date() }).addUser(
                        username: name,
                        password: secret,
                        displayName: display
                    )
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
        static let configuration = CommandConfiguration(abstract: "Remove a user and end their sessions.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The username.") var username: String

        func run() async throws {
            let name = username
            let removed = try await global.withDatabase { connection in try await connection.stores.people.removeUser(username: name) }
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
