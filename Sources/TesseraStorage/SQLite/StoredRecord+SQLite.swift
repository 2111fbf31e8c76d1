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

extension Database {
    /// The rows of `type`'s table that `clause` picks (`WHERE …`, `ORDER BY …`: a constant; values are bound from
    /// `arguments`), each read as a record: the SQLite side of the records' one mapping, as `rows` is PostgreSQL's.
    func records<Record: InsertableRecord>(
        _ type: Record.Type,
        _ clause: String,
        _ arguments: StatementArguments = []
    ) throws
        -> [Record]
    {
        try Row.fetchAll(self, sql: "SELECT \(Record.columns) FROM \(Record.table) \(clause)", arguments: arguments).map(Record.init(row:))
    }

    /// The first row of `type`'s table that `clause` picks, read as a record; `nil` when there is none.
    func record<Record: InsertableRecord>(_ type: Record.Type, _ clause: String, _ arguments: StatementArguments = []) throws -> Record? {
        try Row.fetchOne(self, sql: "SELECT \(Record.columns) FROM \(Record.table) \(clause)", arguments: arguments).map(Record.init(row:))
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
