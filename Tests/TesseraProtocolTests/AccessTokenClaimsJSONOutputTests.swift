import Foundation
import Testing

@testable import TesseraProtocol

/// The hand-written JSON payload of access tokens must mean exactly what the `Codable` form means.
@Suite struct AccessTokenClaimsJSONOutputTests {
    static let claims: [AccessTokenClaims] = [
        AccessTokenClaims(
            iss: "https://as.example",
            sub: "alice",
            aud: Audience(["https://rs.example"]),
            exp: 1_800_000_000,
            iat: 1_799_996_400,
            jti: "019a-jti",
            clientID: "client-1",
            scope: "read write"
        ),
        AccessTokenClaims(
            iss: "https://as.example",
            sub: "agent \"7\"\n",
            aud: Audience(["https://a.example", "https://b.example/ü"]),
            exp: 2,
            iat: 1,
            jti: "j",
            clientID: "c",
            scope: nil,
            cnf: Confirmation(jkt: "thumb", x5tS256: "cert-thumb"),
            access: [.reference("r"), .object(GNAPAccessObject(type: "t", actions: ["a"], extra: ["limit": .number(0.25)]))],
            act: ActorClaim(sub: "rs-a", iss: "https://a.example", clientID: "rs", prior: ActorClaim(sub: "first")),
            authorizationDetails: [.object(["type": .string("payment"), "amount": .number(100)])]
        ),
        AccessTokenClaims(iss: "i", sub: "s", aud: Audience([]), exp: 0, iat: 0, jti: "", clientID: "", scope: ""),
    ]

    @Test(arguments: claims)
    func handWrittenPayloadDecodesToTheSameClaims(_ claims: AccessTokenClaims) throws {
        let bytes = try claims.jsonBytes()
        let ours = try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary
        let reference = try JSONSerialization.jsonObject(with: JSONEncoder().encode(claims)) as? NSDictionary
        #expect(ours != nil)
        #expect(ours == reference)
        #expect(try JSONDecoder().decode(AccessTokenClaims.self, from: Data(bytes)) == claims)
    }
}
