import PostgresNIO

/// PostgreSQL's rows read by column position, for the records' one mapping (``StoredRecord``).
extension PostgresRandomAccessRow: StoredRow {
    func optionalText(_ index: Int) throws -> String? { try self[index].decode(String?.self) }

    func text(_ index: Int) throws -> String { try self[index].decode(String.self) }

    func optionalInt64(_ index: Int) throws -> Int64? { try self[index].decode(Int64?.self) }

    func int64(_ index: Int) throws -> Int64 { try self[index].decode(Int64.self) }

    func bool(_ index: Int) throws -> Bool { try self[index].decode(Bool.self) }

    /// `TEXT[]`: the separator is SQLite's.
    func list(_ index: Int, separator: Character) throws -> [String] { try self[index].decode([String].self) }
}

extension StoredRecord {
    /// Reads a PostgreSQL row of ``StoredRecord/columns``.
    /// - Parameter row: The row.
    /// - Throws: The driver's decoding error, or what ``StoredRecord/init(row:)`` throws.
    init(postgres row: PostgresRow) throws {
        try self.init(row: row.makeRandomAccess())
    }
}

extension InsertableRecord {
    /// The `INSERT` of the record as one row of its table.
    /// - Parameter clause: Appended to the statement (`ON CONFLICT …`): a constant, no input reaches it.
    /// - Returns: The statement, its values bound.
    /// - Throws: An encoding error of the record.
    func insertQuery(_ clause: String = "") throws -> PostgresQuery {
        var binds = PostgresBindings()
        for value in try storedValues() {
            switch value {
            case .text(let text): binds.append(text)
            case .integer(let integer): binds.append(integer)
            case .bool(let bool): binds.append(bool)
            case .list(let list, _): binds.append(list)
            }
        }
        return PostgresQuery(unsafeSQL: Self.insertSQL { "$\($0)" } + clause, binds: binds)
    }
}

extension PostgresDatabase {
    /// The rows of `type`'s table that `clause` picks (`WHERE …`, `ORDER BY …`, its values bound), each read as a
    /// record: the PostgreSQL side of the records' one mapping, as `Database.records` is SQLite's.
    func records<Record: InsertableRecord>(_ type: Record.Type, _ clause: PostgresQuery) async throws -> [Record] {
        try await rows(Self.select(type, clause), Record.init(postgres:))
    }

    /// The first row of `type`'s table that `clause` picks, read as a record; `nil` when there is none.
    func record<Record: InsertableRecord>(_ type: Record.Type, _ clause: PostgresQuery) async throws -> Record? {
        try await first(Self.select(type, clause), Record.init(postgres:))
    }

    /// `SELECT <columns> FROM <table> <clause>`: the prefix is constants, so the clause's binds keep their numbers.
    static func select<Record: InsertableRecord>(_ type: Record.Type, _ clause: PostgresQuery) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "SELECT \(Record.columns) FROM \(Record.table) " + clause.sql, binds: clause.binds)
    }
}

extension PostgresConnection {
    /// ``PostgresDatabase/records(_:_:)`` inside a caller's transaction.
    func records<Record: InsertableRecord>(_ type: Record.Type, _ clause: PostgresQuery, logger: Logger) async throws -> [Record] {
        try await rows(PostgresDatabase.select(type, clause), logger: logger, Record.init(postgres:))
    }
}
