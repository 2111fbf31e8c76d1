import ArgumentParser
import Foundation
import TesseraServer
import TesseraStorage

extension Tessera {
    /// `tessera migrate`: brings a database's schema up to date and exits.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the schema migrations to the database and exit.",
            discussion: """
                `tessera serve` migrates on start as well; run this to prepare a database ahead of a
                rollout. Safe to run while other instances start: PostgreSQL migrations take an advisory lock.
                """
        )
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let url = try global.loadConfiguration().databaseURL
            let version = try await TesseraDatabase.withConnection(url: url) { connection in try await connection.migrate() }
            print("\(TesseraDatabase.displayName(of: url)) is at schema version \(version)")
        }
    }

    /// `tessera export`: writes clients, signing keys and tokens as JSON.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the database's clients, signing keys and tokens as JSON.",
            discussion: "The JSON holds private signing keys and secret hashes: keep it as safe as the database."
        )
        @OptionGroup var global: GlobalOptions
        @Option(name: .shortAndLong, help: "File to write (created with mode 0600). Default: standard output.") var output: String?

        func run() async throws {
            let snapshot = try await global.withDatabase { connection in try await connection.snapshots.exportSnapshot() }
            let data = try prettyJSON(snapshot)
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: data, attributes: [.posixPermissions: 0o600]) else {
                    throw ValidationError("cannot write \(output)")
                }
                FileHandle.standardError.write(Data("exported \(Self.summary(snapshot)) to \(output)\n".utf8))
            } else {
                FileHandle.standardOutput.write(data)
                FileHandle.standardOutput.write(Data("\n".utf8))
            }
        }

        static func summary(_ snapshot: StoreSnapshot) -> String {
            "\(snapshot.clients.count) clients, \(snapshot.signingKeys.count) signing keys, "
                + "\(snapshot.accessTokens.count) access tokens, \(snapshot.refreshTokens.count) refresh tokens, \(snapshot.users.count) users, "
                + "\(snapshot.rows.values.map(\.count).reduce(0, +)) other rows"
        }
    }

    /// `tessera import`: adds an export's rows to a database.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add the clients, signing keys and tokens of a `tessera export` file to the database.",
            discussion: """
                Runs in one transaction. Clients, people, keys and tokens already present are kept as the
                database has them, and a person removed from it is not brought back, so an import can be
                repeated without undoing later changes. Stop the servers on the old database first.
                """
        )
        @OptionGroup var global: GlobalOptions
        @Option(name: .shortAndLong, help: "File written by `tessera export`.") var input: String

        func run() async throws {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: input)) } catch { throw ValidationError("cannot read \(input)") }
            let snapshot: StoreSnapshot
            do { snapshot = try JSONDecoder().decode(StoreSnapshot.self, from: data) } catch {
                throw ValidationError("\(input) is not a tessera export: \(error)")
            }
            guard snapshot.format == StoreSnapshot.currentFormat else {
                throw ValidationError("\(input) has export format \(snapshot.format); this tessera reads \(StoreSnapshot.currentFormat)")
            }
            let url = try global.loadConfiguration().databaseURL
            let counts = try await TesseraDatabase.withConnection(url: url) { connection in
                try await connection.snapshots.importSnapshot(snapshot)
            }
            print("imported \(counts) into \(TesseraDatabase.displayName(of: url))")
        }
    }
}
