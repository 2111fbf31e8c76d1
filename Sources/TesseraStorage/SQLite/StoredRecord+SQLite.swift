import GRDB

/// GRDB's rows read by column position, for the records' one mapping (``StoredRecord``).
extension Row: StoredRow {
    func optionalText(_ index: Int) -> String? { self[index] }

    func text(_ index: Int) -> String { self[index] }

    func optionalInt64(_ index: Int) -> Int64? { self[index] }

    func int64(_ index: Int) -> Int64 { self[index] }

    func bool(_ index: Int) -> Bool { self[index] }

    func list(_ index: Int, separator: Character) -> [String] { text(index).split(separator: separator).map(String.init) }
}

extension Database {
    /// Inserts `record` as one row of its table: a cached statement, its values bound by ``GRDB/Statement/run(_:)``.
    /// - Parameters:
    ///   - record: The record.
    ///   - clause: Appended to the statement (`ON CONFLICT …`): a constant, no input reaches it.
    /// - Throws: SQLite's errors; an encoding error of the record.
    func insertRow<Record: InsertableRecord>(_ record: Record, _ clause: String = "") throws {
        try cachedStatement(sql: Record.insertSQL { _ in "?" } + clause).run(try record.storedValues().map(SQLiteArgument.init))
    }
}

extension SQLiteArgument {
    /// A value as SQLite keeps it: booleans as 0 or 1, lists as text joined with their separator.
    /// - Parameter value: The value.
    init(_ value: StoredValue) {
        switch value {
        case .text(let text): self = .text(text)
        case .integer(let integer): self = .integer(integer)
        case .bool(let bool): self = .integer(bool ? 1 : 0)
        case .list(let list, let separator): self = .text(list.joined(separator: String(separator)))
        }
    }
}
