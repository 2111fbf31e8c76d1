import Foundation
import Testing

/// `tessera policy explain --peer P --requested-token-type id-jag` decides as the IdP decides a real ID-JAG request
/// (IDJAGIssuer): its audiences are always the peer's issuer and each `resource`, and a request the peer's
/// `id_jag.resources` refuses before any policy (`invalid_target`, RFC 8707 §2) is explained as refused.
extension PolicyCommandProcessTests {
    @Test func explainDecidesAnIDJAGForAPeerWithThePeersIssuerAsTheServerDoes() async throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let config = try String(contentsOfFile: setup.config, encoding: .utf8)
        try
            (config + """

                chaining:
                  peers:
                    - name: b
                      issuer: https://as-b.example
                      id_jag: {clients: [reporting], scopes: read, resources: ["https://mcp.example/"]}
                    - name: c
                      issuer: https://as-c.example
                      id_jag: {clients: [reporting], scopes: read}
                """).write(toFile: setup.config, atomically: true, encoding: .utf8)
        func explain(peer: String, resources: [String] = []) async throws -> (Int32, String) {
            try await ChildProcess.run(
                TesseraProcess.binary,
                [
                    "policy", "explain", "--config", setup.config, "--client", "reporting", "--action", "exchange", "--scope", "read",
                    "--user", "alice", "--peer", peer, "--requested-token-type", "urn:ietf:params:oauth:token-type:id-jag",
                ] + resources.flatMap { ["--resource", $0] }
            )
        }
        // No resource named, none listed: the server permits the ID-JAG for the peer's issuer.
        let (allowed, output) = try await explain(peer: "c")
        #expect(allowed == 0, "\(output)")
        #expect(output.contains(#"Resource::"https://as-c.example": permitted"#))
        #expect(output.contains(#"Scope::"read": permitted"#))
        // A listed resource: decided with the peer's issuer besides it.
        let (named, namedOutput) = try await explain(peer: "b", resources: ["https://mcp.example/"])
        #expect(named == 0, "\(namedOutput)")
        #expect(namedOutput.contains(#"Resource::"https://as-b.example": permitted"#))
        // No resource where some are listed: the server refuses before policy.
        let (refused, refusal) = try await explain(peer: "b")
        #expect(refused == 2, "\(refusal)")
        #expect(refusal.contains("refused before policy: an ID-JAG for 'b' must name a resource"), "\(refusal)")
    }
}
