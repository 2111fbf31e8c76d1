import Foundation

/// One row of a table, read by column position.
///
/// Each record has one mapping from its table's columns (``StoredRecord/init(row:)``) that reads SQLite's rows and
/// PostgreSQL's alike, instead of one mapping per backend (issue 19, item 7: one record shape per table). The backends
/// differ only in list columns: PostgreSQL keeps them as `TEXT[]`, SQLite as text joined with a separator.
protocol StoredRow {
    /// - Parameter index: The column's position in the record's ``StoredRecord/columns``.
    /// - Returns: The column as text, or `nil` for NULL.
    /// - Throws: The driver's decoding error.
    func optionalText(_ index: Int) throws -> String?

    /// - Parameter index: The column's position in the record's ``StoredRecord/columns``.
    /// - Returns: The column as text (a `NOT NULL` column).
    /// - Throws: The driver's decoding error.
    func text(_ index: Int) throws -> String

    /// - Parameter index: The column's position in the record's ``StoredRecord/columns``.
    /// - Returns: The column as an integer, or `nil` for NULL.
    /// - Throws: The driver's decoding error.
    func optionalInt64(_ index: Int) throws -> Int64?

    /// - Parameter index: The column's position in the record's ``StoredRecord/columns``.
    /// - Returns: The column as an integer (a `NOT NULL` column).
    /// - Throws: The driver's decoding error.
    func int64(_ index: Int) throws -> Int64

    /// - Parameter index: The column's position in the record's ``StoredRecord/columns``.
    /// - Returns: The column as a boolean (PostgreSQL `BOOLEAN`, SQLite 0 or 1).
    /// - Throws: The driver's decoding error.
    func bool(_ index: Int) throws -> Bool

    /// - Parameters:
    ///   - index: The column's position in the record's ``StoredRecord/columns``.
    ///   - separator: What joins the items in SQLite's text (PostgreSQL's `TEXT[]` needs none).
    /// - Returns: The items of a list column.
    /// - Throws: The driver's decoding error.
    func list(_ index: Int, separator: Character) throws -> [String]
}

extension StoredRow {
    /// - Parameter index: The column's position in the record's ``StoredRecord/columns``.
    /// - Returns: The column's milliseconds since 1970 as a date.
    /// - Throws: The driver's decoding error.
    func date(_ index: Int) throws -> Date { Date(millis: try int64(index)) }

    /// - Parameter index: The column's position in the record's ``StoredRecord/columns``.
    /// - Returns: The column's milliseconds since 1970 as a date, or `nil` for NULL.
    /// - Throws: The driver's decoding error.
    func optionalDate(_ index: Int) throws -> Date? { try optionalInt64(index).map(Date.init(millis:)) }
}

/// A record kept as one row of one table, read by the same mapping on every backend.
protocol StoredRecord: Sendable {
    /// The columns ``init(row:)`` reads, in its order: a constant, no input reaches it.
    static var columns: String { get }

    /// Reads a row of ``columns``.
    /// - Parameter row: The row.
    /// - Throws: The driver's decoding error, or ``StorageError`` `corrupt` for a value that does not fit the record.
    init(row: some StoredRow) throws
}

/// A record the stores insert as one row of its table, through the same statement on every backend.
protocol InsertableRecord: StoredRecord {
    /// The table the record is a row of: a constant, no input reaches it.
    static var table: String { get }

    /// The record's values, in the order of ``StoredRecord/columns``.
    /// - Returns: The values.
    /// - Throws: An encoding error of a value kept as JSON text.
    func storedValues() throws -> [StoredValue]
}

extension InsertableRecord {
    /// `INSERT INTO` the table, every column, with the backend's parameter placeholders.
    /// - Parameter placeholder: The placeholder of the parameter numbered from 1 (`?` or `$1`).
    /// - Returns: The statement, to which a clause (`ON CONFLICT …`) may be appended.
    static func insertSQL(_ placeholder: (Int) -> String) -> String {
        let count = columns.split(separator: ",").count
        return "INSERT INTO \(table) (\(columns)) VALUES (\((1...count).map(placeholder).joined(separator: ", ")))"
    }

    /// The clause that turns the insert into a replacement of the row with the same `key`: every other column is
    /// overwritten.
    /// - Parameter key: The primary key column.
    /// - Returns: The `ON CONFLICT … DO UPDATE` clause (PostgreSQL and SQLite alike).
    static func replacing(_ key: String) -> String {
        let others = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { $0 != key }
        return " ON CONFLICT (\(key)) DO UPDATE SET " + others.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
    }
}

/// One column value to write, bound alike by both backends.
enum StoredValue: Sendable {
    case text(String?)
    case integer(Int64?)
    case bool(Bool)
    /// A list column: `TEXT[]` in PostgreSQL, text joined with the separator in SQLite.
    case list([String], separator: Character)

    /// A timestamp: milliseconds since 1970, the stores' precision.
    /// - Parameter date: The date, if any.
    /// - Returns: The value (NULL for none).
    static func date(_ date: Date?) -> StoredValue { .integer(date?.millis) }
}

/// The conflict clauses of an insert that must not replace a row already present.
enum StoredRecordConflict {
    /// ` ON CONFLICT (key) DO NOTHING`: a row with this key already present is kept as it is (a repeated import).
    static func keepingPresent(_ key: String) -> String { " ON CONFLICT (\(key)) DO NOTHING" }
}
