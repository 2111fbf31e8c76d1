public import Foundation
public import TesseraEngine
public import TesseraServer

/// Builds the real application on an in-memory database with the test clients registered.
public enum TestServer {
    public static func build(
        now: @escaping @Sendable () -> Date = { Date() },
        configure: (inout ServerConfiguration) -> Void = { _ in },
        database: (@Sendable (EngineDatabase) -> EngineDatabase)? = nil
    ) async throws -> TesseraApplication {
        var configuration = Fixtures.configuration()
        configuration.clients = TestClients.definitions
        // The hashing threads are niced so a live server keeps its CPU for protocol requests under a
        // sign-in flood. A test process runs dozens of servers on two cores at full load, where a niced
        // 600,000-round hash starved past the live client's 20 s read timeout (SignInAbuseTests in CI).
        // Tests keep the real pool and the real hash; only its priority is the test process's own.
        configuration.signIn.hashing.niceness = 0
        // Likewise a fetch from a document server in the same loaded process (CIMD, jwks_uri) once took more than the
        // 5 s production limit (MCPClientRequirementsTests in a full run); what is tested is the fetch, not its speed.
        configuration.outboundFetchTimeout = .seconds(30)
        configure(&configuration)
        configuration.users = try FixtureUserHashes.hashed(configuration.users)
        return try await buildApplication(configuration, dependencies: ServerDependencies(now: now, database: database))
    }
}
