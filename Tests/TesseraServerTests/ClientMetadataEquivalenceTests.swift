import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A Client ID Metadata Document is text from a party on the network, and its `scope` becomes the client's registered
/// scope. Before, its tokens were filtered by the operator's `client_metadata.allowed_scopes` with Swift's `==`, so a
/// declared `\u{212A}YC` (KELVIN SIGN) was taken as the allowed `KYC`, kept as spelled, granted when the client asked for
/// no scope (RFC 6749 §3.3: the registered scope) and missed the owner's `forbid` on `Scope::"KYC"`, which Cedar
/// compares byte for byte. A document holding text not in Unicode Normalization Form C is now refused (`invalid_client`).
extension ClientChallengeTests {
    @Test func aMetadataDocumentNotInNFCIsRefused() async throws {
        let clock = TestClock()
        let owner = try OwnerPolicy(text: #"forbid (principal, action, resource == Scope::"KYC");"#, source: "owner.cedar")
        let configure: @Sendable (inout ServerConfiguration) -> Void = { configuration in
            configuration.clientMetadata.allowedScopes = ["KYC", "read"]
            configuration.policy = owner
        }
        try await withServers(policy: nil, clock: clock, configure: configure) { documents, base, client in
            func token(_ path: String, scope: String, name: String = "Agent") async throws -> (status: Int, body: [String: Any]) {
                let agent = Agent(id: base + path)
                let document = agent.document()
                    .replacingOccurrences(of: #""scope": "payments read admin""#, with: #""scope": "\#(scope)""#)
                    .replacingOccurrences(of: #""client_name": "Agent""#, with: #""client_name": "\#(name)""#)
                documents.set(path, json: document)
                let form = [
                    ("grant_type", "client_credentials"), ("client_id", agent.id),
                    ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                    ("client_assertion", try await agent.assertion(issuer: Self.issuer, now: clock.now)),
                ]
                let (status, body, _) = try await Self.token(client, form)
                return (Int(status.code), body)
            }
            let lookAlike = try await token("/look-alike.json", scope: "\u{212A}YC read")
            #expect(lookAlike.status == 401, "\(lookAlike.body)")
            #expect(lookAlike.body["error"] as? String == "invalid_client", "\(lookAlike.body)")
            #expect((lookAlike.body["error_description"] as? String ?? "").contains("Normalization Form C"))
            // A decomposed client_name is refused too: the whole document is held to NFC, as registration metadata is.
            let decomposed = try await token("/decomposed.json", scope: "read", name: "Age\u{301}nt")
            #expect(decomposed.body["error"] as? String == "invalid_client", "\(decomposed.body)")
            // The control: the NFC spelling registers; asking for no scope is granted the registered scope the owner
            // does not forbid.
            let exact = try await token("/exact.json", scope: "KYC read")
            #expect(exact.status == 200, "\(exact.body)")
            #expect(exact.body["scope"] as? String == "read", "\(exact.body)")
        }
    }
}
