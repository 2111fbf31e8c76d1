public import Crypto
public import Foundation
public import HTTPMessageSignatures
public import HTTPTypes
public import TesseraProtocol

/// A GNAP client key that signs test requests per the httpsig profile (RFC 9635 §7.3.1).
public struct GNAPTestSigner: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey
    public let kid: String
    public let now: @Sendable () -> Date

    public init(kid: String = "test-client-key", privateKey: Curve25519.Signing.PrivateKey = .init(), now: @escaping @Sendable () -> Date) {
        self.privateKey = privateKey
        self.kid = kid
        self.now = now
    }

    /// The key by value, as a grant request's `client.key`.
    public var key: GNAPKey {
        GNAPKey(
            proof: .httpsig,
            jwk: PublicJWK(
                kty: "OKP",
                crv: "Ed25519",
                x: TestClients.base64url(privateKey.publicKey.rawRepresentation),
                kid: kid,
                alg: "EdDSA"
            )
        )
    }

    /// Headers for a signed request to `url` (`Content-Type`, `Content-Digest`, `Authorization`, `Signature-Input`, `Signature`).
    public func headers(
        method: String,
        url: String,
        body: [UInt8]?,
        token: String? = nil,
        configure: (inout HTTPMessageSigner.Configuration) -> Void = { _ in }
    ) throws -> HTTPFields {
        var fields: [HTTPSignatureField] = []
        if body != nil { fields.append(HTTPSignatureField(name: "Content-Type", value: "application/json")) }
        if let token { fields.append(HTTPSignatureField(name: "Authorization", value: "GNAP \(token)")) }
        var request = try HTTPSignatureRequest(method: method, targetURI: url, headerFields: fields, body: body)
        var configuration = HTTPMessageSigner.Configuration.gnap
        configure(&configuration)
        let signer = HTTPMessageSigner(key: HTTPSigningKey(ed25519: privateKey, keyID: kid), configuration: configuration, now: now)
        var components: [HTTPSignatureComponent] = [.method, .targetURI]
        if token != nil { components.append(.field("authorization")) }
        try signer.sign(&request, components: components)
        var headers = HTTPFields()
        for field in request.headerFields {
            if let name = HTTPField.Name(field.name) { headers.append(HTTPField(name: name, value: field.value)) }
        }
        return headers
    }

    /// A JSON body for `value`.
    public static func body(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}
