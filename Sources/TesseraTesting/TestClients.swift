public import Crypto
public import Foundation
public import TesseraEngine
public import TesseraProtocol

/// Client fixtures: a confidential secret client, a private_key_jwt client with its key, a public client.
public enum TestClients {
    public static let secretClientID = "service-a"
    public static let secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-0123"
    public static let postClientID = "service-post"
    public static let jwtClientID = "service-jwt"
    public static let publicClientID = "public-app"

    /// The private_key_jwt client's key (fixed, so failures reproduce).
    public static let jwtClientKey: P256.Signing.PrivateKey = {
        // 32 fixed bytes: a valid P-256 scalar.
        let raw = Data((1...32).map { UInt8($0) })
        return (try? P256.Signing.PrivateKey(rawRepresentation: raw)) ?? P256.Signing.PrivateKey()
    }()

    public static var jwtClientPublicJWK: PublicJWK {
        let point = jwtClientKey.publicKey.x963Representation.dropFirst()
        return PublicJWK(
            kty: "EC",
            crv: "P-256",
            x: base64url(point.prefix(32)),
            y: base64url(point.suffix(32)),
            kid: "client-key-1",
            alg: "ES256"
        )
    }

    public static var jwtClientJWKS: String {
        String(decoding: (try? JSONEncoder().encode(PublicJWKSet(keys: [jwtClientPublicJWK]))) ?? Data(), as: UTF8.self)
    }

    /// The private JWK of the private_key_jwt client, for signing assertions.
    public static var jwtClientPrivateJWK: String {
        let jwk = jwtClientPublicJWK
        return
            #"{"kty":"EC","crv":"P-256","x":"\#(jwk.x ?? "")","y":"\#(jwk.y ?? "")","d":"\#(base64url(jwtClientKey.rawRepresentation))"}"#
    }

    public static let definitions: [ClientDefinition] = [
        ClientDefinition(
            id: secretClientID,
            auth: "client_secret_basic",
            secret: secret,
            grantTypes: ["client_credentials", "refresh_token"],
            scopes: "read write"
        ),
        ClientDefinition(id: postClientID, auth: "client_secret_post", secret: secret, grantTypes: ["client_credentials"], scopes: "read"),
        ClientDefinition(
            id: jwtClientID,
            auth: "private_key_jwt",
            jwks: jwtClientJWKS,
            grantTypes: ["client_credentials"],
            scopes: "read write"
        ),
        ClientDefinition(id: publicClientID, auth: "none", grantTypes: ["refresh_token"], scopes: "read"),
    ]

    /// A signed client assertion; every claim can be overridden to build attacks.
    public static func assertion(
        audience: String,
        now: Date,
        iss: String? = jwtClientID,
        sub: String? = jwtClientID,
        lifetime: TimeInterval = 60,
        jti: String? = UUID().uuidString,
        kid: String = "client-key-1",
        typ: String? = ClientAssertionClaims.type,
        alsoAddressedTo others: [String] = []
    ) async throws -> String {
        let signer = try await JWSSigner(privateJWK: jwtClientPrivateJWK, kid: kid, algorithm: .es256)
        let claims = ClientAssertionClaims(
            iss: iss,
            sub: sub,
            aud: Audience([audience] + others),
            exp: Int(now.timeIntervalSince1970 + lifetime),
            iat: Int(now.timeIntervalSince1970),
            jti: jti
        )
        return try signer.sign(claims, type: typ)
    }

    /// `Authorization: Basic` for the secret client.
    public static func basicAuthorization(id: String = secretClientID, secret: String = secret) -> String {
        "Basic " + Data("\(FormParameters.encode(id)):\(FormParameters.encode(secret))".utf8).base64EncodedString()
    }

    public static func base64url(_ bytes: some DataProtocol) -> String { Base64URL.encode(bytes) }
}
