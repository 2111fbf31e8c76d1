import Foundation
import Testing

@testable import TesseraProtocol

/// The hand-written JSON of token responses must mean exactly what the `Codable` form means.
@Suite struct TokenResponseJSONOutputTests {
    static let responses: [TokenResponse] = {
        var full = TokenResponse(
            accessToken: "eyJ.a/b.c",
            tokenType: "DPoP",
            expiresIn: 3600,
            refreshToken: "r\"1\"\n",
            scope: "read write",
            issuedTokenType: "urn:ietf:params:oauth:token-type:access_token",
            authorizationDetails: [.object(["type": .string("payment"), "amount": .number(100.5), "list": .array([.null, .bool(true)])])]
        )
        full.idToken = "id.token.ü"
        return [TokenResponse(accessToken: "t", tokenType: "Bearer", expiresIn: nil), full]
    }()

    @Test(arguments: responses)
    func handWrittenResponseDecodesToTheSameValue(_ response: TokenResponse) throws {
        let bytes = try response.jsonBytes()
        let ours = try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary
        let reference = try JSONSerialization.jsonObject(with: JSONEncoder().encode(response)) as? NSDictionary
        #expect(ours != nil)
        #expect(ours == reference)
        #expect(try JSONDecoder().decode(TokenResponse.self, from: Data(bytes)) == response)
    }
}
