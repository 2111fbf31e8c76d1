public import Foundation
public import TesseraServer

/// Builds the real application on an in-memory database with the test clients registered.
public enum TestServer {
    public static func build(
        now: @escaping @Sendable () -> Date = { Date() },
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> TesseraApplication {
        var configuration = Fixtures.configuration()
        configuration.clients = TestClients.definitions
        configure(&configuration)
        configuration.users = try FixtureUserHashes.hashed(configuration.users)
        return try await buildApplication(configuration, dependencies: ServerDependencies(now: now))
    }
}
