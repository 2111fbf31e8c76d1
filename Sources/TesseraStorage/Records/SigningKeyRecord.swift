public import Foundation

/// A server signing key as stored. The private JWK stays in the store; only public parts are published.
public struct SigningKeyRecord: Sendable, Hashable {
    public var kid: String
    public var algorithm: String
    /// The private key as a JWK (JSON text with `d`), or that JWK encrypted under a key-encryption key
    /// (a `tessera-kek:` envelope, see `PrivateKeyEnvelope` in TesseraEngine).
    public var privateJWK: String
    /// The public key as a JWK (JSON text), as published at the JWKS endpoint.
    public var publicJWK: String
    /// When the key starts signing. A rotated key is written with a time a publish delay ahead: it is
    /// published from the moment it is stored and signs only from then, so every instance has
    /// published it before any token carries its `kid`.
    public var createdAt: Date
    /// When the key stopped signing; it stays published until ``retiredAt`` + the longest token lifetime.
    public var retiredAt: Date?

    public init(kid: String, algorithm: String, privateJWK: String, publicJWK: String, createdAt: Date, retiredAt: Date? = nil) {
        self.kid = kid
        self.algorithm = algorithm
        self.privateJWK = privateJWK
        self.publicJWK = publicJWK
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }

    /// When the key starts signing (stored as ``createdAt``).
    public var signsFrom: Date { createdAt }
}

extension SigningKeyRecord: InsertableRecord {
    static let table = "signing_keys"
    static let columns = "kid, algorithm, private_jwk, public_jwk, created_at, retired_at"

    init(row: some StoredRow) throws {
        self.init(
            kid: try row.text(0),
            algorithm: try row.text(1),
            privateJWK: try row.text(2),
            publicJWK: try row.text(3),
            createdAt: try row.date(4),
            retiredAt: try row.optionalDate(5)
        )
    }

    func storedValues() -> [StoredValue] {
        [.text(kid), .text(algorithm), .text(privateJWK), .text(publicJWK), .date(createdAt), .date(retiredAt)]
    }
}
