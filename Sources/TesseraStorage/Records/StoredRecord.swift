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
