import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A right spelled with a control character is refused at both doors (review round 11, J10): `"admin\u{0}"` is not
/// `"admin"` to Swift or Cedar, so an owner's forbid on `Scope::"admin"` missed it, while C code downstream reads it up
/// to the NUL. Line breaks stay allowed: a Cedar policy set spans lines.
@Suite struct ControlCharacterRightsTests {
    let clock = TestClock()

    @Test func aGNAPRightWithANULOrEscapeIsRefused() async throws {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: Curve25519.Signing.PrivateKey(), now: clock.closure)
        let owner = try OwnerPolicy(
            text: #"@id("no-admin") forbid (principal, action, resource == Scope::"admin");"#,
            source: "owner.cedar"
        )
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.policy = owner
            configuration.gnap.instances = [.init(id: "agent-1", key: agent.key, allowedAccess: ["admin\u{0}", "backup-api"])]
        }
        try await app.application.test(.router) { client in
            for right in [
                GNAPAccessRight.reference("admin\u{0}"), .object(GNAPAccessObject(type: "backup-api", actions: ["read\u{1B}[2J"])),
            ] {
                let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(.init(access: [right])))
                let refused = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
                #expect(refused.status == .badRequest, "\(refused.json)")
                #expect(GNAPEndpointTests.errorCode(refused.json) == GNAPError.Code.invalidRequest.rawValue)
                #expect(refused.json["access_token"] == nil)
            }
        }
    }

    @Test func aRichAuthorizationEntryWithAControlCharacterIsRefused() async throws {
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.authorizationDetailsTypes = [AuthorizationDetailsTypeDefinition(type: "files")]
        }
        try await app.application.test(.router) { client in
            for action in [#"read\u0000"#, #"read\u001b"#, #"read\u0085"#] {
                let details = #"[{"type":"files","actions":["\#(action)"]}]"#
                let body = "grant_type=client_credentials&scope=read&authorization_details=\(FormParameters.encode(details))"
                let refused = try await OwnerPolicyDoorsTests.token(client, body)
                #expect(refused.0 == .badRequest, "\(action): \(refused.1)")
                #expect(refused.1["error"] as? String == "invalid_authorization_details")
            }
            let allowed = #"[{"type":"files","actions":["read"],"note":"two\nlines"}]"#
            let answer = try await OwnerPolicyDoorsTests.token(
                client,
                "grant_type=client_credentials&scope=read&authorization_details=\(FormParameters.encode(allowed))"
            )
            #expect(answer.0 == .ok, "\(answer.1)")
        }
    }
}

/// White space in a right's spelling is refused at both doors (review round 12, K6): `"admin\n"` or `"admin\u{A0}"` is
/// not `Scope::"admin"` to the decision point, yet the consent page shows `admin`.
extension ControlCharacterRightsTests {
    @Test func aRightSpelledWithWhiteSpaceIsRefused() async throws {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: Curve25519.Signing.PrivateKey(), now: clock.closure)
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.gnap.instances = [.init(id: "agent-1", key: agent.key, allowedAccess: ["admin\n", "admin", "backup-api"])]
            configuration.authorizationDetailsTypes = [AuthorizationDetailsTypeDefinition(type: "files")]
        }
        try await app.application.test(.router) { client in
            let rights: [GNAPAccessRight] = [
                .reference("admin\n"), .reference(" admin"), .reference("admin\u{A0}"),
                .object(GNAPAccessObject(type: "backup-api", actions: ["read "])),
            ]
            for right in rights {
                let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(.init(access: [right])))
                let refused = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
                #expect(refused.status == .badRequest, "\(right): \(refused.json)")
                #expect(GNAPEndpointTests.errorCode(refused.json) == GNAPError.Code.invalidRequest.rawValue)
            }
            for details in [#"[{"type":"files","actions":["read\t"]}]"#, #"[{"type":"files ","actions":["read"]}]"#] {
                let body = "grant_type=client_credentials&scope=read&authorization_details=\(FormParameters.encode(details))"
                let refused = try await OwnerPolicyDoorsTests.token(client, body)
                #expect(refused.1["error"] as? String == "invalid_authorization_details", "\(details): \(refused.1)")
            }
        }
    }
}
