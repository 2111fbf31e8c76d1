import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A peer's `id_jag.scopes` is the allow-list of rights an ID-JAG for it may carry (draft-ietf-oauth-identity-
/// assertion-authz-grant §4.3.3 rule 3, administrator policy): rich authorization types (RFC 9396 §2) need a permit
/// there as scopes do. Before, types were asked forbid-only, so an ID-JAG for a peer configured with
/// `scopes: read write` carried any type the IdP knew.
extension IDJAGRichAuthorizationTests {
    /// `customer_information`: a type the IdP knows, with no Cedar profile, as the review's `payments`.
    static var customerEntry: [String: Any] { ["type": "customer_information", "actions": ["read"]] }

    @Test func aTypeThePeersAllowListDoesNotNameIsRefused() async throws {
        let fixture = try await Self.make(configureA: { $0.chaining.peers[0].idJAG?.scopes = Scope(["read", "write"]) })
        try await fixture.run { a, _ in
            // No scope asked: only the type, which id_jag.scopes does not list.
            let refused = try await E.requestIDJAG(
                a,
                idToken: try await E.idToken(fixture),
                extra: [("resource", E.resource), ("authorization_details", try Self.json([Self.customerEntry]))]
            )
            #expect(refused.status == .badRequest, "\(refused.json)")
            #expect(refused.error == "invalid_authorization_details", "\(refused.json)")
            #expect(refused.json["access_token"] == nil)
            // Beside a listed scope, too.
            let beside = try await Self.requestIDJAG(a, fixture, [Self.customerEntry])
            #expect(beside.error == "invalid_authorization_details", "\(beside.json)")
        }
    }

    @Test func aTypeThePeersAllowListNamesIsCarried() async throws {
        let fixture = try await Self.make(configureA: {
            $0.chaining.peers[0].idJAG?.scopes = Scope(["read", "write", "customer_information"])
        })
        try await fixture.run { a, _ in
            let issued = try await E.requestIDJAG(
                a,
                idToken: try await E.idToken(fixture),
                extra: [("resource", E.resource), ("authorization_details", try Self.json([Self.customerEntry]))]
            )
            #expect(issued.status == .ok, "\(issued.json)")
            let grant = try #require(issued.json["access_token"] as? String)
            #expect(try Self.claimDetails(grant).map { $0["type"] as? String } == ["customer_information"])
        }
    }

    /// With `chaining.id_jag_policy_file`, the file's `request_scope` rules decide types as they decide scopes.
    @Test func anIDJAGPolicyFileDecidesTypesAsScopes() async throws {
        func policy(_ rights: String) throws -> ChainingPolicy {
            try ChainingPolicy(
                text: """
                    permit(principal == Client::"app", action == Action::"request_id_jag", resource == Peer::"b");
                    permit(principal, action == Action::"request_scope", resource == \(rights));
                    """,
                source: "test"
            )
        }
        for (rights, expected) in [(#"Scope::"read""#, "invalid_authorization_details"), (#"Scope::"customer_information""#, nil)] {
            let file = try policy(rights)
            let fixture = try await Self.make(configureA: { $0.chaining.idJAGPolicy = file })
            try await fixture.run { a, _ in
                let answer = try await E.requestIDJAG(
                    a,
                    idToken: try await E.idToken(fixture),
                    extra: [("resource", E.resource), ("authorization_details", try Self.json([Self.customerEntry]))]
                )
                #expect(answer.error == expected, "\(rights): \(answer.json)")
            }
        }
    }
}
