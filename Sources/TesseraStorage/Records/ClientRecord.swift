public import Foundation
public import TesseraProtocol

/// A registered OAuth client as stored (RFC 7591 §2 metadata that Tessera uses).
public struct ClientRecord: Sendable, Hashable, Codable {
    public var id: String
    public var authMethod: ClientAuthenticationMethod
    /// ``SecretHash`` text of the client secret; only for the shared-secret methods.
    public var secretHash: String?
    /// The client's public JWK Set as JSON text, for `private_key_jwt`.
    public var jwks: String?
    /// Where the client publishes its JWK Set, for `private_key_jwt`.
    public var jwksURI: String?
    public var grantTypes: [GrantType]
    public var scopes: [String]
    public var createdAt: Date

    public init(
        id: String,
        authMethod: ClientAuthenticationMethod,
        secretHash: String? = nil,
        jwks: String? = nil,
        jwksURI: String? = nil,
        grantTypes: [GrantType],
        scopes: [String],
        createdAt: Date
    ) {
        self.id = id
        self.authMethod = authMethod
        self.secretHash = secretHash
        self.jwks = jwks
        self.jwksURI = jwksURI
        self.grantTypes = grantTypes
        self.scopes = scopes
        self.createdAt = createdAt
    }
}
