import Foundation
import TesseraProtocol
import TesseraStorage

/// Records the conformance tests write. Instants are whole milliseconds: the stores' precision.
enum StoreFixtures {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func issuance(jti: String = UUID().uuidString, grant: String = "g1", refreshHash: String? = nil) -> TokenIssuance {
        let access = AccessTokenRecord(
            jti: jti,
            grantID: grant,
            clientID: "c",
            subject: "c",
            scope: "read",
            audience: ["https://rs.example", "https://b"],
            issuedAt: now,
            expiresAt: now.addingTimeInterval(3600)
        )
        let refresh = refreshHash.map {
            RefreshTokenRecord(
                tokenHash: $0,
                grantID: grant,
                clientID: "c",
                subject: "c",
                scope: "read",
                audience: ["https://rs.example"],
                issuedAt: now,
                expiresAt: now.addingTimeInterval(86_400)
            )
        }
        return TokenIssuance(accessToken: access, refreshToken: refresh)
    }

    /// A GNAP registration (issue 19) whose key has `thumbprint`; the store does not check keys, the engine does.
    static func gnap(_ thumbprint: String, instance: Bool = true, resourceServer: Bool = false) -> GNAPRegistration {
        GNAPRegistration(
            key: GNAPKey(proof: GNAPProof(method: "mtls"), certS256: thumbprint),
            keyThumbprint: thumbprint,
            instance: instance ? .init(displayName: "Agent", allowedAccess: ["photos", "billing"], allowBearer: true) : nil,
            resourceServer: resourceServer ? .init(audiences: ["https://rs.example/"]) : nil
        )
    }

    static func client(_ id: String, scopes: [String] = ["a", "b"]) -> ClientRecord {
        ClientRecord(
            id: id,
            authMethod: .clientSecretBasic,
            secretHash: "h",
            jwks: #"{"keys":[]}"#,
            jwksURI: "https://c.example/jwks",
            grantTypes: [.clientCredentials, .refreshToken],
            scopes: scopes,
            createdAt: now
        )
    }

    static func key(_ kid: String, created: TimeInterval) -> SigningKeyRecord {
        SigningKeyRecord(
            kid: kid,
            algorithm: "ES256",
            privateJWK: #"{"d":"x"}"#,
            publicJWK: "{}",
            createdAt: Date(timeIntervalSince1970: created)
        )
    }
}
