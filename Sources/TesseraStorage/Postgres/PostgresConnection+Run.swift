import PostgresNIO

extension PostgresConnection {
    /// Runs a statement to completion and returns how many rows it produced.
    ///
    /// `query` returns as soon as the row description arrives, which for a statement that waits (on a
    /// lock, say) is before it has finished: an error it ends with would only surface in the row
    /// sequence. Draining that sequence here makes every statement's outcome, errors included, known
    /// before the next one is sent.
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        var count = 0
        for try await _ in try await self.query(query, logger: logger) { count += 1 }
        return count
    }

    /// Runs a statement to completion, as ``run(_:logger:)``, and reads every row it produced.
    /// - Parameters:
    ///   - query: the statement.
    ///   - logger: the database's logger.
    ///   - read: the mapping of one row.
    /// - Returns: the rows, read, in the order the statement produced them.
    /// - Throws: what PostgreSQL or `read` throws.
    func rows<Value>(_ query: PostgresQuery, logger: Logger, _ read: (PostgresRow) throws -> Value) async throws -> [Value] {
        var values: [Value] = []
        for try await row in try await self.query(query, logger: logger) { values.append(try read(row)) }
        return values
    }
}

extension PostgresDatabase {
    /// Runs one statement on a pooled connection (its own transaction), as ``PostgresConnection/run(_:logger:)``.
    /// - Parameter query: the statement.
    /// - Returns: how many rows it produced.
    /// - Throws: ``StorageError`` as ``withConnection(_:)`` maps it.
    @discardableResult
    func run(_ query: PostgresQuery) async throws -> Int {
        try await withConnection { connection in try await connection.run(query, logger: self.logger) }
    }

    /// Runs one statement on a pooled connection and reads every row it produced.
    /// - Parameters:
    ///   - query: the statement.
    ///   - read: the mapping of one row.
    /// - Returns: the rows, read, in order.
    /// - Throws: ``StorageError`` as ``withConnection(_:)`` maps it, or what `read` throws.
    func rows<Value: Sendable>(_ query: PostgresQuery, _ read: @escaping @Sendable (PostgresRow) throws -> Value) async throws -> [Value] {
        try await withConnection { connection in try await connection.rows(query, logger: self.logger, read) }
    }

    /// The first row a statement on a pooled connection produced (a point read by a unique key), read.
    /// - Parameters:
    ///   - query: the statement.
    ///   - read: the mapping of one row.
    /// - Returns: the row, read; `nil` when there is none.
    /// - Throws: ``StorageError`` as ``withConnection(_:)`` maps it, or what `read` throws.
    func first<Value: Sendable>(_ query: PostgresQuery, _ read: @escaping @Sendable (PostgresRow) throws -> Value) async throws -> Value? {
        try await rows(query, read).first
    }
}
