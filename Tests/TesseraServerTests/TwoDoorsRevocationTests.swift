import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Issue 19, revocation through the one engine: OAuth `/revoke` (RFC 7009 §2.1), GNAP token revocation
/// (RFC 9635 §6.2) and grant revocation (§5.4) each only translate, and ``GrantEngine/revoke(_:by:)`` asks
/// who holds what is revoked and cascades. OAuth clients and GNAP instances are different name spaces even
/// when one party has the same name at both doors ("agent-1" here), and one grant's management or
/// continuation token never reaches another grant's tokens.
extension TwoDoorsTests {
    /// agent-1's client-credentials token at the OAuth door, for the `read` scope.
    func oauthToken(_ client: any TestClientProtocol) async throws -> String {
        let (status, body) = try await TokenLedgerTests.form(
            client,
            "/token",
            [("grant_type", "client_credentials"), ("scope", "read")],
            id: "agent-1"
        )
        #expect(status == .ok, "\(body)")
        return try #require(body["access_token"] as? String, "\(body)")
    }

    /// The one entry asked directly: the GNAP instance "agent-1" may revoke its own GNAP token by value, but
    /// not the OAuth token of its namesake client; refused with a door-neutral code and nothing revoked.
    @Test func theOneRevocationEntryAsksWhoHoldsTheToken() async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let thumbprint = try #require(try agent.key.jwk?.thumbprint())
        let instance = ClientIdentity(.gnap(instanceID: "agent-1", allowedAccess: [], thumbprint: thumbprint))
        try await app.application.test(.router) { client in
            let oauth = try await oauthToken(client)
            let gnap = try await gnapParent(client, app)

            let refusal = try await app.engine.revoke(.token(oauth), by: .client(instance))
            #expect(refusal?.code == .clientNotEntitled, "a GNAP instance revoked an OAuth client's token")
            #expect(try await TokenLedgerTests.oauthIntrospect(client, oauth)["active"] as? Bool == true)

            #expect(try await app.engine.revoke(.token(gnap.value), by: .client(instance)) == nil)
            #expect(try await TokenLedgerTests.oauthIntrospect(client, gnap.value)["active"] as? Bool == false)
            #expect(try await gnapIntrospect(client, app, gnap.value)["active"] as? Bool == false)
        }
    }

    /// RFC 9635 §6.2: a management URI is revoked only with its own management token. Grant B's management
    /// token (proven with the right key) does not revoke grant A's token, and an OAuth token's `jti` is no
    /// management URI; refused `invalid_request`, both tokens still active.
    @Test func oneGrantsManagementTokenDoesNotRevokeAnotherGrantsToken() async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let first = try await gnapParent(client, app)
            let second = try await gnapParent(client, app)
            let oauth = try await oauthToken(client)
            let jti = try #require(try Self.claims(oauth)["jti"] as? String)
            let attempts = [(first.manage, second.manageToken), ("/gnap/token/" + jti, oauth), ("/gnap/token/" + jti, second.manageToken)]
            for (path, token) in attempts {
                let answer = try await GNAPEndpointTests.send(client, app, agent, method: .delete, path: path, body: nil, token: token)
                #expect(answer.status == .badRequest, "\(path): \(answer.json)")
                #expect(GNAPEndpointTests.errorCode(answer.json) == "invalid_request", "\(answer.json)")
            }
            for token in [first.value, second.value, oauth] {
                #expect(try await TokenLedgerTests.oauthIntrospect(client, token)["active"] as? Bool == true)
            }
        }
    }

    /// RFC 9635 §5.4: a grant is revoked only with its own continuation token; another grant's token (proven
    /// with the right key) is refused `invalid_continuation` and the grant's tokens stay active.
    @Test func oneGrantsContinuationTokenDoesNotRevokeAnotherGrant() async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let first = try await gnapParent(client, app)
            let second = try await gnapParent(client, app)
            let answer = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .delete,
                path: first.grant,
                body: nil,
                token: second.continuation
            )
            #expect(answer.status == .badRequest, "\(answer.json)")
            #expect(GNAPEndpointTests.errorCode(answer.json) == "invalid_continuation", "\(answer.json)")
            #expect(try await gnapIntrospect(client, app, first.value)["active"] as? Bool == true)

            let own = try await GNAPEndpointTests.send(
                client,
                app,
                agent,
                method: .delete,
                path: second.grant,
                body: nil,
                token: second.continuation
            )
            #expect(own.status == .noContent, "\(own.json)")
            #expect(try await gnapIntrospect(client, app, second.value)["active"] as? Bool == false)
            #expect(try await gnapIntrospect(client, app, first.value)["active"] as? Bool == true)
        }
    }
}
