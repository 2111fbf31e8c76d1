public import Foundation
public import TesseraServer

/// Test support shared by the test targets.
public enum Fixtures {
    /// A fixed instant for tests that need a clock.
    public static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    /// A server configuration on an in-memory database and a free port.
    public static func configuration() -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.database = "sqlite::memory:"
        return configuration
    }
}
