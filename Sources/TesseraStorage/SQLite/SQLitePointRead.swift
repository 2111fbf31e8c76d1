import GRDB

/// A single-row read by primary key, run on the calling thread (issue 22).
///
/// GRDB's `async` read crosses two dispatch queues (the reader pool's waiting queue, then the reader's own queue) and
/// back: on the hot paths (the client and access-token lookups of every token, introspection and exchange request)
/// those wake-ups cost more CPU than the read itself. In WAL mode a reader never waits for the writer, and a lookup
/// by key takes microseconds, so it runs where the request already is. Anything that can scan stays `async`.
enum SQLitePointRead {
    /// Runs `body` in a read-only transaction on the caller's thread.
    /// - Parameters:
    ///   - writer: The database.
    ///   - body: One lookup by key.
    /// - Returns: What `body` returns.
    /// - Throws: What GRDB or `body` throws.
    static func run<T>(_ writer: any DatabaseWriter, _ body: (Database) throws -> T) throws -> T {
        try writer.read(body)
    }
}
