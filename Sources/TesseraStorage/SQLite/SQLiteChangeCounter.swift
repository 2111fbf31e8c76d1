import GRDBSQLite
import Synchronization

/// Reads the clients' change counter (migration 15) through a read-only connection of its own, with one prepared
/// statement, on the caller's thread (issue 22).
///
/// The client cache reads this one-row counter on every lookup, so that a client removed or changed in another process
/// is refused on the very next request. Through GRDB's pool that read cost a dispatch to a reader's queue, a `BEGIN`,
/// a schema-version check and a `COMMIT` around the `SELECT` — more than the client's row it saves. Here it is one
/// `sqlite3_step` in an implicit read transaction (WAL: never blocked by the writer), ended by the reset before the
/// lock is released. On any failure the connection is closed and the error thrown, so the cache reads the row itself;
/// the next read opens a new connection.
final class SQLiteChangeCounter: Sendable {
    private let path: String
    private let connection = Mutex<Connection?>(nil)

    /// - Parameter path: The database file (an in-memory database has no second connection: use the writer there).
    init(path: String) {
        self.path = path
    }

    /// The counter's current value (0 before any client change).
    /// - Returns: The value of `client_changes.sequence`.
    /// - Throws: ``StorageError`` `unavailable` when the connection cannot be opened or the read fails.
    func sequence() throws -> Int64 {
        try connection.withLock { connection in
            let open = try connection ?? Connection(path: path)
            do {
                let value = try open.read()
                connection = open
                return value
            } catch {
                connection = nil
                throw error
            }
        }
    }

    /// One read-only connection and its prepared statement; closed when released.
    private final class Connection {
        let handle: OpaquePointer
        let statement: OpaquePointer

        init(path: String) throws {
            var handle: OpaquePointer?
            let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
                sqlite3_close_v2(handle)
                throw StorageError(.unavailable, "cannot open the client change counter of \(path)")
            }
            sqlite3_busy_timeout(handle, 10_000)
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(handle, "SELECT sequence FROM client_changes WHERE id = 1", -1, &statement, nil) == SQLITE_OK,
                let statement
            else {
                sqlite3_close_v2(handle)
                throw StorageError(.unavailable, "cannot read the client change counter of \(path)")
            }
            self.handle = handle
            self.statement = statement
        }

        func read() throws -> Int64 {
            // The reset ends the implicit read transaction, so the connection never holds back a checkpoint.
            defer { sqlite3_reset(statement) }
            switch sqlite3_step(statement) {
            case SQLITE_ROW: return sqlite3_column_int64(statement, 0)
            case SQLITE_DONE: return 0
            default: throw StorageError(.unavailable, "the client change counter could not be read")
            }
        }

        deinit {
            sqlite3_finalize(statement)
            sqlite3_close_v2(handle)
        }
    }
}
