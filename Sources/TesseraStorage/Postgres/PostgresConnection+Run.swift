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
}
