import Foundation
import GRDB
import Logging

/// Opens the SQLite database behind every store: WAL mode, full synchronous commits, migrations applied.
///
/// `synchronous = FULL` makes each commit durable before the call returns, which is what lets the
/// server promise that a token it hands out is on disk. Concurrent writers are grouped into one
/// transaction by ``SQLiteWriteBatcher``, so durability does not cost one fsync per request.
public enum SQLiteDatabase {
    /// Parses `sqlite:PATH`, `sqlite://PATH` or `sqlite::memory:` and opens the stores.
    /// - Throws: ``StorageError`` `invalidURL` for another scheme, `unavailable` when the file cannot be opened.
    public static func openStores(url: String) async throws -> Stores {
        try await open(url: url).stores
    }

    /// Opens the database (migrations applied) with its snapshot reader/writer.
    static func open(url: String, logger: Logger = Logger(label: "tessera.storage")) async throws -> StoreConnection {
        let location = try Location(url: url)
        let writer: any DatabaseWriter
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Statement journals and sorts in memory, not in temporary files created and unlinked per
            // transaction; a 16 MiB page cache (the default is 2 MiB) so that index pages stay cached as
            // the token tables grow.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        do {
            switch location {
            case .memory:
                writer = try DatabaseQueue(configuration: configuration)
            case .file(let path):
                try SQLiteFilePermissions.prepare(path: path, logger: logger)
                writer = try DatabasePool(path: path, configuration: configuration)
            }
            try SQLiteMigrations.migrator.migrate(writer)
        } catch {
            throw StorageError(.unavailable, "cannot open SQLite database at \(location): \(error)")
        }
        let batcher = SQLiteWriteBatcher(writer: writer)
        var changeCounter: SQLiteChangeCounter?
        var reads: SQLiteReadConnections?
        if case .file(let path) = location {
            changeCounter = SQLiteChangeCounter(path: path)
            reads = SQLiteReadConnections(path: path)
        }
        let stores = Stores(
            clients: CachingClientStore(base: SQLiteClientStore(writer: writer, changeCounter: changeCounter)),
            tokens: SQLiteTokenStore(writer: writer, batcher: batcher, reads: reads),
            replay: SQLiteReplayCache(writer: writer, batcher: batcher),
            keys: SQLiteKeyStore(writer: writer),
            gnap: SQLiteGNAPStore(writer: writer, batcher: batcher, reads: reads),
            clientMetadata: SQLiteClientMetadataStore(writer: writer),
            challenges: SQLiteClientChallengeStore(writer: writer, batcher: batcher),
            people: SQLitePeopleStore(writer: writer, batcher: batcher),
            interactions: SQLiteInteractionStore(writer: writer, batcher: batcher),
            resourceSets: SQLiteGNAPResourceSetStore(writer: writer),
            authorizationCodes: SQLiteAuthorizationCodeStore(writer: writer),
            health: {
                (try? await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
            },
            displayName: "sqlite:\(location)"
        )
        let snapshots = SQLiteSnapshots(writer: writer, clients: SQLiteClientStore(writer: writer))
        let version = SQLiteMigrations.latestVersion
        return StoreConnection(stores: stores, snapshots: snapshots, service: nil, migrate: { version })
    }

    enum Location: CustomStringConvertible {
        case memory
        case file(String)

        init(url: String) throws {
            guard url.hasPrefix("sqlite:") else {
                throw StorageError(.invalidURL, "database URL must start with sqlite:, postgres:// or postgresql://")
            }
            var rest = String(url.dropFirst("sqlite:".count))
            if rest.hasPrefix("//") { rest.removeFirst(2) }
            if rest == ":memory:" {
                self = .memory
            } else if rest.isEmpty {
                throw StorageError(.invalidURL, "sqlite: URL needs a file path or :memory:")
            } else {
                self = .file(rest)
            }
        }

        var description: String {
            switch self {
            case .memory: ":memory:"
            case .file(let path): path
            }
        }
    }
}

extension Date {
    /// Milliseconds since 1970, the column format for every timestamp.
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
