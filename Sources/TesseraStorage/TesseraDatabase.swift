public import Logging
public import ServiceLifecycle

/// An opened database: the stores, and what the caller must run for them to work.
public struct StoreConnection: Sendable {
    /// Every store the engine needs.
    public let stores: Stores
    /// Whole-installation export and import (`tessera export` / `tessera import`).
    public let snapshots: any StoreSnapshotting
    /// Background work the stores need while in use — PostgreSQL's connection pool — to be added to
    /// the application's services; `nil` when there is none (SQLite).
    public let service: (any Service)?
    /// Applies the schema migrations this build knows and returns the schema version. SQLite has
    /// already migrated when it opened; PostgreSQL migrates here, so ``service`` must be running.
    public let migrate: @Sendable () async throws -> Int

    package init(
        stores: Stores,
        snapshots: any StoreSnapshotting,
        service: (any Service)?,
        migrate: @escaping @Sendable () async throws -> Int
    ) {
        self.stores = stores
        self.snapshots = snapshots
        self.service = service
        self.migrate = migrate
    }
}

/// The one entry point that picks the storage backend from the database URL.
///
/// - `sqlite:PATH`, `sqlite://PATH`, `sqlite::memory:` → SQLite (``SQLiteDatabase``).
/// - `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or `postgresql://`) → PostgreSQL, with optional
///   `?sslmode=`, `schema=`, `max_connections=`, `request_timeout=`, `connect_timeout=`, `statement_timeout=`.
///
/// ```swift
/// let version = try await TesseraDatabase.withConnection(url: "postgres://tessera:pw@db:5432/tessera") { connection in
///     try await connection.stores.clients.all().count
/// }
/// ```
public enum TesseraDatabase {
    /// Opens the database behind `url` without starting anything. With PostgreSQL, run
    /// ``StoreConnection/service`` (in a service group) and call ``StoreConnection/migrate`` before
    /// using the stores; ``withConnection(url:logger:_:)`` does both.
    /// - Throws: ``StorageError`` `invalidURL` for an unknown scheme or malformed URL (the message
    ///   never holds the password), `unavailable` when SQLite cannot open the file.
    public static func open(url: String, logger: Logger = Logger(label: "tessera.storage")) async throws -> StoreConnection {
        if PostgresURL.matches(url) {
            let database = PostgresDatabase(url: try PostgresURL(url), logger: logger)
            let stores = Stores(
                clients: CachingClientStore(base: PostgresClientStore(database: database)),
                tokens: PostgresTokenStore(database: database),
                replay: PostgresReplayCache(database: database),
                keys: PostgresKeyStore(database: database),
                gnap: PostgresGNAPStore(database: database),
                clientMetadata: PostgresClientMetadataStore(database: database),
                challenges: PostgresClientChallengeStore(database: database),
                people: PostgresPeopleStore(database: database),
                interactions: PostgresInteractionStore(database: database),
                resourceSets: PostgresGNAPResourceSetStore(database: database),
                authorizationCodes: PostgresAuthorizationCodeStore(database: database),
                health: { await database.isReachable() },
                displayName: database.url.displayName
            )
            return StoreConnection(
                stores: stores,
                snapshots: PostgresSnapshots(database: database),
                service: database.service,
                migrate: { Int(try await PostgresMigrations.migrate(database)) }
            )
        }
        return try await SQLiteDatabase.open(url: url, logger: logger)
    }

    /// Opens the database, runs its background service, applies migrations, runs `body`, then stops
    /// the service. For commands that use the stores and exit (`tessera clients`, `keys`, `migrate`, …).
    /// - Parameters:
    ///   - url: the database URL (`sqlite:` path or `postgres://`).
    ///   - logger: where storage logs go.
    ///   - migrate: `false` to leave the schema alone (the body may call ``StoreConnection/migrate``).
    ///   - body: the work done with the open stores.
    /// - Returns: What `body` returns.
    /// - Throws: What opening, migrating or `body` throws.
    public static func withConnection<T: Sendable>(
        url: String,
        logger: Logger = Logger(label: "tessera.storage"),
        migrate: Bool = true,
        _ body: @Sendable (StoreConnection) async throws -> T
    ) async throws -> T {
        let connection = try await open(url: url, logger: logger)
        guard let service = connection.service else {
            if migrate { _ = try await connection.migrate() }
            return try await body(connection)
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            defer { group.cancelAll() }
            if migrate { _ = try await connection.migrate() }
            return try await body(connection)
        }
    }

    /// `url` as it may appear in logs: a PostgreSQL password is replaced, a SQLite path kept.
    public static func displayName(of url: String) -> String {
        if PostgresURL.matches(url) { return (try? PostgresURL(url).displayName) ?? PostgresURL.redact(url) }
        return url
    }
}
