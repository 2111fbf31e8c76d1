import Foundation
import Testing

/// `tessera demo mcp` (issue 20, item 7): the enterprise flow in one command, run as a new user
/// would — a child process, from nothing but the binary.
@Suite struct MCPDemoProcessTests {
    /// IdP → ID-JAG → resource AS → a permitted tool call and a refused one; the attacks refused;
    /// exit status 0 (the command fails when any of these does not happen as narrated).
    @Test func demoWalksTheEnterpriseFlowToAToolCall() async throws {
        let (status, output) = try await TesseraProcess.run(["demo", "mcp"])
        #expect(status == 0, "\(output)")
        // Leg 1: an ID-JAG (typ and issued token type), no refresh token.
        #expect(output.contains(#""typ":"oauth-id-jag+jwt""#), "\(output)")
        #expect(output.contains(#""issued_token_type":"urn:ietf:params:oauth:token-type:id-jag""#))
        // Leg 2: the access token is for the MCP server.
        #expect(output.contains(/"aud":"http:\/\/127\.0\.0\.1:[0-9]+\/mcp"/), "\(output)")
        // The 401 names the RFC 9728 metadata.
        #expect(output.contains("resource_metadata="))
        // Berlin permitted (a forecast), Paris refused by the Cedar policy as a tool error.
        #expect(output.contains("Not permitted: get_forecast("), "\(output)")
        #expect(output.contains(#""isError":true"#))
        // The replayed ID-JAG and the access token posing as one: invalid_grant; the destructive tool: 403.
        #expect(output.contains("was already used"))
        #expect(output.contains("HTTP 403"))
        #expect(output.contains("Done:"))
    }
}
