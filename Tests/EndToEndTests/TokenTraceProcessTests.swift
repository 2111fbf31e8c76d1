import Foundation
import TesseraProtocol
import TesseraTesting
import Testing

/// `tessera tokens trace` against the database a real `tessera serve` wrote (issue 19): a token's
/// ancestry and descendants with their state, after its middle link was revoked at /revoke.
@Suite(.serialized) struct TokenTraceProcessTests {
    static let exchange = "urn:ietf:params:oauth:grant-type:token-exchange"

    static func jti(_ token: String) throws -> String {
        try #require(try JWTClaimSet(payload: try CompactJWS(parsing: token).payload).string("jti"))
    }

    @Test func traceShowsAncestryAndDescendantsWithTheirState() async throws {
        let directory = try ServeProcessTests.temporaryDirectory()
        let config = directory.appendingPathComponent("tessera.yaml").path
        try """
        clients:
          - id: \(TestClients.secretClientID)
            auth: client_secret_basic
            secret: \(TestClients.secret)
            grant_types: [client_credentials, "\(Self.exchange)"]
            scopes: read write
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let arguments = ["--config", config, "--data-dir", directory.path]
        let server = try await TesseraProcess(arguments)
        let basic = TestClients.basicAuthorization()
        let (_, issued) = try await Web.post(server.baseURL + "/token", form: "grant_type=client_credentials&scope=read", basic: basic)
        var chain = [try #require(issued["access_token"] as? String)]
        for _ in 0..<3 {
            let form =
                "grant_type=\(Self.exchange)&subject_token=\(chain.last ?? "")&subject_token_type=urn:ietf:params:oauth:token-type:access_token"
            let (status, exchanged) = try await Web.post(server.baseURL + "/token", form: form, basic: basic)
            #expect(status == 200, "\(exchanged)")
            chain.append(try #require(exchanged["access_token"] as? String))
        }
        let ids = try chain.map(Self.jti)
        let (revoked, _) = try await Web.post(server.baseURL + "/revoke", form: "token=\(chain[1])", basic: basic)
        #expect(revoked == 200)
        try await server.stop()

        let (status, text) = try await TesseraProcess.run(["tokens", "trace", ids[1]] + arguments)
        #expect(status == 0, "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "ancestry (root first):")
        #expect(lines.contains { $0.contains(ids[0]) && $0.contains("active") && $0.contains("root") })
        #expect(lines.contains { $0.contains(ids[1]) && $0.contains("revoked") && $0.contains("exchange from \(ids[0])") })
        #expect(lines.contains { $0.hasPrefix("  └ \(ids[2])") && $0.contains("revoked") })
        #expect(
            lines.contains {
                $0.hasPrefix("    └ \(ids[3])") && $0.contains("revoked") && $0.contains("client=\(TestClients.secretClientID)")
            }
        )

        let (jsonStatus, json) = try await TesseraProcess.run(["tokens", "trace", ids[1], "--json"] + arguments)
        #expect(jsonStatus == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let token = try #require(document["token"] as? [String: Any])
        #expect(token["state"] as? String == "revoked")
        #expect(token["kind"] as? String == "exchange")
        #expect(token["parent"] as? String == ids[0])
        #expect((document["ancestors"] as? [[String: Any]])?.map { $0["jti"] as? String } == [ids[0]])
        let child = try #require((document["descendants"] as? [[String: Any]])?.first)
        #expect(child["jti"] as? String == ids[2])
        #expect(child["state"] as? String == "revoked")
        #expect((child["children"] as? [[String: Any]])?.first?["jti"] as? String == ids[3])

        let (unknownStatus, _) = try await TesseraProcess.run(["tokens", "trace", "0123456789abcdef0123456789abcdef"] + arguments)
        #expect(unknownStatus == 1)
    }
}
