import GRDB
import GRDBSQLite

/// One parameter value of ``GRDB/Statement/run(_:)``: the kinds the hot inserts store.
enum SQLiteArgument: Sendable {
    case text(String)
    case integer(Int64)
    case null

    /// A text value, or SQL `NULL`.
    /// - Parameter value: The text, if any.
    /// - Returns: The argument.
    static func text(_ value: String?) -> SQLiteArgument { value.map(SQLiteArgument.text) ?? .null }

    /// An integer value, or SQL `NULL`.
    /// - Parameter value: The integer, if any.
    /// - Returns: The argument.
    static func integer(_ value: Int64?) -> SQLiteArgument { value.map(SQLiteArgument.integer) ?? .null }
}

extension Statement {
    /// SQLite copies each text before the call returns (`SQLITE_TRANSIENT`).
    private static var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

    /// Executes the statement with `values` bound to its parameters in order (issue 22): the inserts that run for every
    /// token and grant. GRDB's `execute(arguments:)` converts an array of existentials and binds each value inside a
    /// closure of its own (about 8 µs for a GNAP grant's six inserts); here each value is bound with one
    /// `sqlite3_bind_*` call. The statement still runs through GRDB's `execute()` (its hooks, errors and transaction
    /// tracking), with the bindings GRDB was told are complete.
    /// - Parameter values: One value per `?` of the statement, in order.
    /// - Throws: `DatabaseError` `SQLITE_MISUSE` when `values` does not have one value per parameter, as
    ///   `execute(arguments:)` refuses it; SQLite errors.
    func run(_ values: [SQLiteArgument]) throws {
        let statement = sqliteStatement
        guard sqlite3_bind_parameter_count(statement) == CInt(values.count) else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "wrong number of statement arguments: \(values.count)", sql: sql)
        }
        // Resets the statement, clears its bindings and records that its arguments are bound (there are none to GRDB).
        setUncheckedArguments(StatementArguments())
        for (offset, value) in values.enumerated() {
            let index = CInt(offset + 1)
            let code: CInt
            switch value {
            case .null: code = sqlite3_bind_null(statement, index)
            case .integer(let integer): code = sqlite3_bind_int64(statement, index, integer)
            case .text(let text): code = sqlite3_bind_text(statement, index, text, CInt(text.utf8.count), Self.transient)
            }
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), sql: sql) }
        }
        try execute()
    }
}
