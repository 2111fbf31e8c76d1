import Foundation
import Testing

@testable import TesseraProtocol

/// The hand-written JSON of introspection responses must mean exactly what the `Codable` form means.
@Suite struct IntrospectionResponseJSONOutputTests {
    static let responses: [IntrospectionResponse] = {
        var full = IntrospectionResponse(
            active: true,
            scope: "read write",
            clientID: "client \"1\"",
            tokenType: "DPoP",
            exp: 1_800_000_000,
            iat: 1_799_996_400,
            sub: "alice\n",
            aud: ["https://rs.example/a", "https://b.example/ü"],
            iss: "https://as.example",
            jti: "019a-jti"
        )
        full.cnf = Confirmation(jkt: "thumb", x5tS256: "cert-thumb")
        full.authorizationDetails = [.object(["type": .string("payment"), "amount": .number(100.5)])]
        return [.inactive, IntrospectionResponse(active: true, aud: []), full]
    }()

    @Test(arguments: responses)
    func handWrittenResponseDecodesToTheSameValue(_ response: IntrospectionResponse) throws {
        let bytes = try response.jsonBytes()
        let ours = try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary
        let reference = try JSONSerialization.jsonObject(with: JSONEncoder().encode(response)) as? NSDictionary
        #expect(ours != nil)
        #expect(ours == reference)
        #expect(try JSONDecoder().decode(IntrospectionResponse.self, from: Data(bytes)) == response)
    }
}
