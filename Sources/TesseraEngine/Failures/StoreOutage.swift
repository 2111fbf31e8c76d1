import TesseraStorage

/// A failure that means "the store cannot be reached now, retry later" rather than "this request is
/// wrong": each door answers it with its own retry-later response (OAuth `temporarily_unavailable`,
/// RFC 6749 §4.1.2.1; GNAP 503; a "try again later" page). The engine owns this mapping so that no
/// door looks at storage errors (docs/architecture.md: the server does not import the storage module).
public struct StoreOutage: Sendable, Hashable {
    /// Whether the outage was already logged where it was detected (the PostgreSQL circuit breaker
    /// logs an outage once and then fails fast); a door logs only the ones that were not.
    public let isKnown: Bool

    /// The outage `error` stands for, or `nil` when it is some other failure.
    /// - Parameter error: what a store call threw.
    public init?(_ error: any Error) {
        if let error = error as? StorageError {
            guard error.code == .unavailable else { return nil }
            isKnown = error.isKnownOutage
            return
        }
        // SQLite busy, locked, I/O, full or unopenable: try again, not a broken request.
        let text = String(describing: error)
        guard ["SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN"].contains(where: text.contains) else {
            return nil
        }
        isKnown = false
    }
}
