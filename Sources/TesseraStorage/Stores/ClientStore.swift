/// Registered clients.
public protocol ClientStore: Sendable {
    /// Inserts a new client. - Throws: ``StorageError`` `conflict` when the id exists.
    func insert(_ client: ClientRecord) async throws
    /// Inserts or replaces (config-file clients are re-applied on every start).
    func upsert(_ client: ClientRecord) async throws
    func client(id: String) async throws -> ClientRecord?
    func all() async throws -> [ClientRecord]
    /// - Returns: whether a client was removed.
    func remove(id: String) async throws -> Bool
}
