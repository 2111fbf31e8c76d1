/// Resource sets registered by resource servers (RFC 9767 §3.4).
public protocol GNAPResourceSetStore: Sendable {
    /// Stores the set unless one with the same ``GNAPResourceSetRecord/setHash`` exists.
    /// - Returns: the stored record — the existing one when the set was registered before.
    func register(_ set: GNAPResourceSetRecord) async throws -> GNAPResourceSetRecord
    func resourceSet(reference: String) async throws -> GNAPResourceSetRecord?
}
