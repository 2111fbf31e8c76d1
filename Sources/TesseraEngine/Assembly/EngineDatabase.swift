public import Foundation
public import Logging
public import ServiceLifecycle
public import TesseraStorage

/// The engine's database, opened from its URL: what a door holds instead of the stores, so that no
/// door reads or writes a table itself (docs/architecture.md, "Layers"). The services a door needs
/// before the engine exists (signing keys, people, the registry) are made here over the same stores.
public struct EngineDatabase: Sendable {
    let connection: StoreConnection
    /// What the engine's stores pass through first (``wrappingStores(_:)``); `nil` outside tests.
    var wrap: (@Sendable (Stores) -> Stores)? = nil
    var stores: Stores { wrap.map { $0(connection.stores) } ?? connection.stores }

    /// The database behind a connection already open (and migrated): the CLI's, for an engine of its own.
    public init(_ connection: StoreConnection) { self.connection = connection }

    /// The same database, its stores passed through `wrap` before the engine and its services use them: a seam for
    /// tests that must put another request between two steps of one, so that a race runs the same way every time
    /// (no sleeps). The server never wraps them.
    /// - Parameter wrap: returns the stores to use in place of those given.
    /// - Returns: the database with `wrap` applied to its stores.
    public func wrappingStores(_ wrap: @escaping @Sendable (Stores) -> Stores) -> EngineDatabase {
        var wrapped = self
        wrapped.wrap = wrap
        return wrapped
    }

    /// Opens the database behind `url` (`sqlite:…` or `postgres://…`) without starting anything.
    /// - Parameters:
    ///   - url: the database URL.
    ///   - logger: where storage logs go.
    /// - Returns: The opened database; run ``service`` and call ``migrate()`` before serving.
    /// - Throws: A storage error for an unknown scheme, a malformed URL or an unopenable file.
    public static func open(url: String, logger: Logger) async throws -> EngineDatabase {
        EngineDatabase(try await TesseraDatabase.open(url: url, logger: logger))
    }

    /// Background work the database needs while in use (PostgreSQL's pool); `nil` for SQLite.
    public var service: (any Service)? { connection.service }
    /// The database as it may appear in logs (no password).
    public var displayName: String { stores.displayName }

    /// Applies the schema migrations this build knows.
    /// - Throws: Store failures.
    public func migrate() async throws { _ = try await connection.migrate() }

    /// - Parameters:
    ///   - configuration: rotation and encryption of the signing keys.
    ///   - now: the clock.
    /// - Returns: The signing keys kept in this database.
    public func keyRing(configuration: KeyRing.Configuration, now: @escaping @Sendable () -> Date) -> KeyRing {
        KeyRing(store: stores.keys, configuration: configuration, now: now)
    }

    /// - Parameters:
    ///   - hashing: where password hashes run.
    ///   - anonymousSessionLimit: the most sign-in-form sessions kept.
    ///   - now: the clock.
    /// - Returns: The people and browser sessions kept in this database.
    public func people(hashing: PasswordHashingPool, anonymousSessionLimit: Int, now: @escaping @Sendable () -> Date) -> PeopleService {
        PeopleService(store: stores.people, now: now, hashing: hashing, anonymousSessionLimit: anonymousSessionLimit)
    }

    /// The usernames that are also a registered party's id (``PartyNames``): start-up refuses to serve with any.
    public func partyNameClashes() async throws -> [String] { try await PartyNames.clashes(in: stores) }

    /// Writes the config file's OAuth clients, GNAP instances and resource servers into the one registry.
    /// - Parameters:
    ///   - configuration: the file's `gnap:` section.
    ///   - oauthClients: the file's `clients:`, validated.
    ///   - now: the time the records are stamped with.
    /// - Throws: ``GNAPError`` for a contradictory registration; store failures.
    public func reconcileRegistry(configuration: GNAPConfiguration, oauthClients: [ValidatedClient], now: Date) async throws {
        try await GNAPRegistry(clients: stores.clients, tokens: stores.tokens).reconcile(
            configuration: configuration,
            oauthClients: oauthClients.map(\.record),
            now: now
        )
    }

    /// - Parameters:
    ///   - configuration: how metadata documents are fetched and cached.
    ///   - fetcher: fetches the documents (under the operator's outbound guard).
    ///   - now: the clock.
    /// - Returns: The resolver of clients met by their metadata document URL (CIMD), cached in this database.
    public func metadataResolver(
        configuration: ClientMetadataResolver.Configuration,
        fetcher: any ClientMetadataFetching,
        now: @escaping @Sendable () -> Date
    ) -> ClientMetadataResolver {
        ClientMetadataResolver(configuration: configuration, fetcher: fetcher, store: stores.clientMetadata, now: now)
    }
}
