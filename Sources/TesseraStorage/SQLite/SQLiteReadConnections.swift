import GRDBSQLite
import Synchronization

/// Point reads by key on read-only connections of their own, with prepared statements, on the caller's thread
/// (issue 22).
///
/// Token exchange and introspection read the access token's row (and its GNAP management row) on every request, to
/// learn whether it is still active. Through GRDB's pool each read took a reader from the pool (a lock, a dispatch,
/// a key path instantiated at run time), ran `BEGIN`, a schema-version check and `COMMIT` around the `SELECT`, and
/// matched column names case-insensitively when the row was decoded — together more than the read itself. Here a
/// read is one `sqlite3_step` of a statement prepared once per connection, in an implicit read transaction (WAL: never
/// blocked by the writer, and it sees every commit made before it started), ended by the reset before the connection
/// goes back; columns are read by index. A failed connection is closed and not reused, and the error is thrown.
final class SQLiteReadConnections: Sendable {
    private let path: String
    private let idle = Mutex<[Connection]>([])
    /// Connections kept open between reads (each request thread holds one while it reads).
    static let maximumIdle = 4

    /// - Parameter path: The database file (an in-memory database has no second connection: use GRDB there).
    init(path: String) {
        self.path = path
    }

    /// Runs `sql`, which takes one text parameter, with `key` bound, and decodes its first row.
    /// - Parameters:
    ///   - sql: A `SELECT` by primary or unique key, listing its columns.
    ///   - key: The key.
    ///   - decode: Reads the columns of the row by index.
    /// - Returns: The decoded row, or `nil` when there is none.
    /// - Throws: ``StorageError`` `unavailable` when the connection cannot be opened or the read fails; what `decode` throws.
    func first<T>(_ sql: String, key: String, _ decode: (Columns) throws -> T) throws -> T? {
        let connection = try idle.withLock { $0.popLast() } ?? Connection(path: path)
        let value = try connection.first(sql, key: key, decode)
        idle.withLock { if $0.count < Self.maximumIdle { $0.append(connection) } }
        return value
    }

    /// The current row of a stepped statement, read by column index.
    struct Columns: StoredRow {
        fileprivate let statement: OpaquePointer

        /// - Parameter index: The column's index in the `SELECT`.
        /// - Returns: The column as text, or `nil` for NULL.
        func optionalText(_ index: Int) -> String? {
            let index = Int32(index)
            guard sqlite3_column_type(statement, index) != SQLITE_NULL, let bytes = sqlite3_column_text(statement, index) else {
                return nil
            }
            let count = Int(sqlite3_column_bytes(statement, index))
            return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
        }

        /// - Parameter index: The column's index in the `SELECT`.
        /// - Returns: The column as text (empty for NULL).
        func text(_ index: Int) -> String { optionalText(index) ?? "" }

        /// - Parameter index: The column's index in the `SELECT`.
        /// - Returns: The column as an integer, or `nil` for NULL.
        func optionalInt64(_ index: Int) -> Int64? {
            sqlite3_column_type(statement, Int32(index)) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, Int32(index))
        }

        /// - Parameter index: The column's index in the `SELECT`.
        /// - Returns: The column as an integer (0 for NULL).
        func int64(_ index: Int) -> Int64 { sqlite3_column_int64(statement, Int32(index)) }

        /// - Parameter index: The column's index in the `SELECT`.
        /// - Returns: Whether the column is a non-zero integer.
        func bool(_ index: Int) -> Bool { int64(index) != 0 }

        /// - Parameters:
        ///   - index: The column's index in the `SELECT`.
        ///   - separator: What joins the items.
        /// - Returns: The items of the text.
        func list(_ index: Int, separator: Character) -> [String] { text(index).split(separator: separator).map(String.init) }
    }

    /// One read-only connection and its prepared statements; closed when released.
    ///
    /// Invariant: a connection is touched only by the one thread that popped it from the Mutex-guarded `idle` list,
    /// and it goes back to the list only after that thread's read finished.
    // Why `@unchecked Sendable` is safe: the invariant above (one thread at a time, handed over under the Mutex).
    private final class Connection: @unchecked Sendable {
        let handle: OpaquePointer
        var statements: [String: OpaquePointer] = [:]

        init(path: String) throws {
            var handle: OpaquePointer?
            guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let handle else {
                sqlite3_close_v2(handle)
                throw StorageError(.unavailable, "cannot open a read connection to \(path)")
            }
            sqlite3_busy_timeout(handle, 10_000)
            self.handle = handle
        }

        func first<T>(_ sql: String, key: String, _ decode: (Columns) throws -> T) throws -> T? {
            let statement = try prepared(sql)
            // The reset ends the implicit read transaction, so the connection never holds back a checkpoint.
            defer {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            }
            // Bound without a copy (SQLITE_STATIC): the text lives until the step below has read the row.
            return try key.withCString { text -> T? in
                guard sqlite3_bind_text(statement, 1, text, -1, nil) == SQLITE_OK else {
                    throw StorageError(.unavailable, "a read could not bind its key")
                }
                switch sqlite3_step(statement) {
                case SQLITE_ROW: return try decode(Columns(statement: statement))
                case SQLITE_DONE: return nil
                default: throw StorageError(.unavailable, "a read failed: \(String(cString: sqlite3_errmsg(handle)))")
                }
            }
        }

        private func prepared(_ sql: String) throws -> OpaquePointer {
            if let statement = statements[sql] { return statement }
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
                throw StorageError(.unavailable, "a read could not be prepared: \(String(cString: sqlite3_errmsg(handle)))")
            }
            statements[sql] = statement
            return statement
        }

        deinit {
            for statement in statements.values { sqlite3_finalize(statement) }
            sqlite3_close_v2(handle)
        }
    }
}
