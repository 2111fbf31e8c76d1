public import Foundation

/// What is kept of a dynamic registration (RFC 7591 §3, RFC 7592) besides the ``ClientRecord``.
public struct ClientRegistration: Sendable, Hashable, Codable {
    /// The client metadata as registered (RFC 7591 §3.2.1), JSON text: what a read returns.
    public var metadata: String
    /// The hash of the current registration access token (RFC 7592 §3); the token itself is never stored.
    public var accessTokenHash: String

    public init(metadata: String, accessTokenHash: String) {
        self.metadata = metadata
        self.accessTokenHash = accessTokenHash
    }
}

/// An initial access token an operator minted for registration (RFC 7591 §3: the registration
/// endpoint "MAY be an OAuth 2.0 protected resource"), kept as a hash with its remaining uses.
public struct RegistrationTokenRecord: Sendable, Hashable, Codable {
    /// A short public name for listing and revoking (not the token).
    public var id: String
    public var tokenHash: String
    public var label: String
    public var createdAt: Date
    public var expiresAt: Date
    public var remainingUses: Int

    public init(id: String, tokenHash: String, label: String, createdAt: Date, expiresAt: Date, remainingUses: Int) {
        self.id = id
        self.tokenHash = tokenHash
        self.label = label
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.remainingUses = remainingUses
    }
}

extension RegistrationTokenRecord: InsertableRecord {
    static let table = "registration_tokens"
    static let columns = "id, token_hash, label, created_at, expires_at, remaining_uses"

    init(row: some StoredRow) throws {
        self.init(
            id: try row.text(0),
            tokenHash: try row.text(1),
            label: try row.text(2),
            createdAt: try row.date(3),
            expiresAt: try row.date(4),
            remainingUses: Int(try row.int64(5))
        )
    }

    func storedValues() -> [StoredValue] {
        [.text(id), .text(tokenHash), .text(label), .date(createdAt), .date(expiresAt), .integer(Int64(remainingUses))]
    }
}
