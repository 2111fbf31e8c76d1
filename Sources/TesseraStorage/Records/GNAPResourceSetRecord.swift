public import Foundation

/// A set of access rights a resource server registered (RFC 9767 §3.4), behind one opaque reference.
public struct GNAPResourceSetRecord: Sendable, Hashable {
    /// The `resource_reference` handed to the RS: random, so it leaks nothing (RFC 9767 §6.9).
    public var reference: String
    /// The registering resource server's configured id.
    public var resourceServerID: String
    /// SHA-256 of the canonical access JSON and the RS id: the same set registered again gets the same reference.
    public var setHash: String
    /// The registered rights, as RFC 9635 §8 JSON.
    public var access: String
    public var createdAt: Date

    public init(reference: String, resourceServerID: String, setHash: String, access: String, createdAt: Date) {
        self.reference = reference
        self.resourceServerID = resourceServerID
        self.setHash = setHash
        self.access = access
        self.createdAt = createdAt
    }
}

extension GNAPResourceSetRecord: InsertableRecord {
    static let table = "gnap_resource_sets"
    static let columns = "reference, resource_server_id, set_hash, access, created_at"

    init(row: some StoredRow) throws {
        self.init(
            reference: try row.text(0),
            resourceServerID: try row.text(1),
            setHash: try row.text(2),
            access: try row.text(3),
            createdAt: try row.date(4)
        )
    }

    func storedValues() -> [StoredValue] {
        [.text(reference), .text(resourceServerID), .text(setHash), .text(access), .date(createdAt)]
    }
}
