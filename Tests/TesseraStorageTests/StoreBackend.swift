import Foundation
import TesseraStorage

/// The two store implementations every conformance test runs against.
///
/// PostgreSQL tests read `TESSERA_POSTGRES_URL` (scripts/test starts a private cluster and sets it).
/// Without it they fail rather than pass unseen. Each test gets its own schema, so tests run in
/// parallel on one database without seeing each other's rows.
enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    var description: String { rawValue }

    struct MissingPostgres: Error, CustomStringConvertible {
        var description: String { "TESSERA_POSTGRES_URL is not set: run scripts/test, which starts a private PostgreSQL cluster" }
    }

    static var postgresURL: String? {
        let value = ProcessInfo.processInfo.environment["TESSERA_POSTGRES_URL"]
        return value?.isEmpty == false ? value : nil
    }

    /// A fresh, empty database URL of this backend.
    func freshURL() throws -> String {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-test-\(UUID().uuidString)/db.sqlite").path
            return "sqlite:\(path)"
        case .postgres:
            guard let base = Self.postgresURL else { throw MissingPostgres() }
            return Self.postgres(base, schema: "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
        }
    }

    /// `base` with `schema=NAME` added to its query, and a deadline generous enough for a machine
    /// loaded by the tests running beside this one (these tests check semantics; the deadline itself
    /// is tested in `PostgresInstancesTests` and the end-to-end outage test).
    static func postgres(_ base: String, schema: String) -> String {
        base + (base.contains("?") ? "&" : "?") + "schema=\(schema)&request_timeout=20"
    }

    /// Opens a fresh database of this backend (migrated, pool running) for the duration of `body`.
    func withStores<T: Sendable>(_ body: @Sendable (Stores) async throws -> T) async throws -> T {
        try await TesseraDatabase.withConnection(url: try freshURL()) { connection in try await body(connection.stores) }
    }
}
