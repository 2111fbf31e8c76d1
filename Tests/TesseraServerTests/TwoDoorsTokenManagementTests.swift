import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// Issue 19 item 1, token management and derivation: an RFC 9767 §4 derived-token request and an RFC 9635
/// §6.1 rotation are answered by the one entry point, ``GrantEngine/answer(_:from:)``, the GNAP door only
/// translating; and revoking a GNAP token (§6.2) or its grant (§5.4) takes the ledger's one revocation path,
/// which cascades to every token derived from it, whichever door then asks.
extension TwoDoorsTests {
    /// agent-1's token for `read` and the located `backup-api` right, with its management and continuation.
    func gnapParent(
        _ client: any TestClientProtocol,
        _ app: TesseraApplication
    ) async throws -> (value: String, manage: String, manageToken: String, grant: String, continuation: String) {
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let body = try GNAPEndpointTests.grantBody(
            client: .instance("agent-1"),
            tokens: .single(.init(access: try Rights.located.gnapAccess()))
        )
        let answer = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
        #expect(answer.status == .ok, "\(answer.json)")
        let token = try #require(answer.json["access_token"] as? [String: Any], "\(answer.json)")
        let manage = try #require(token["manage"] as? [String: Any])
        let cont = try #require(answer.json["continue"] as? [String: Any])
        return (
            try #require(token["value"] as? String),
            String(try #require(manage["uri"] as? String).dropFirst(Self.issuer.count)),
            try #require((manage["access_token"] as? [String: Any])?["value"] as? String),
            String(try #require(cont["uri"] as? String).dropFirst(Self.issuer.count)),
            try #require((cont["access_token"] as? [String: Any])?["value"] as? String)
        )
    }

    /// The backup right only, for the downstream token.
    static func backupOnly() throws -> [GNAPAccessRight] {
        try JSONDecoder().decode([GNAPAccessRight].self, from: JSONSerialization.data(withJSONObject: [Rights.backupRead]))
    }

    /// rs-1 asks for a token derived from `parent` (RFC 9767 §4) over the real grant endpoint.
    func derive(_ client: any TestClientProtocol, _ app: TesseraApplication, from parent: String) async throws -> String {
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
        let request = GNAPGrantRequest(
            accessToken: .single(.init(access: try Self.backupOnly())),
            client: .instance("rs-1"),
            existingAccessToken: parent
        )
        let answer = try await GNAPEndpointTests.send(client, app, rs, method: .post, path: "/gnap", body: try GNAPTestSigner.body(request))
        #expect(answer.status == .ok, "\(answer.json)")
        #expect(answer.json["continue"] == nil, "a derived token's grant has no continuation")
        return try #require((answer.json["access_token"] as? [String: Any])?["value"] as? String, "\(answer.json)")
    }

    /// How the parent is revoked at the GNAP door.
    enum GNAPRevocation: String, CaseIterable, Sendable {
        /// `DELETE` of the token's management URI (RFC 9635 §6.2).
        case token
        /// `DELETE` of the grant's continuation URI (RFC 9635 §5.4).
        case grant
    }

    @Test(arguments: GNAPRevocation.allCases)
    func aTokenDerivedFromARevokedGNAPTokenIsInactiveAtBothDoors(_ revocation: GNAPRevocation) async throws {
        let app = try await app()
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        try await app.application.test(.router) { client in
            let parent = try await gnapParent(client, app)
            let derived = try await derive(client, app, from: parent.value)
            #expect(try await TokenLedgerTests.oauthIntrospect(client, derived)["active"] as? Bool == true)
            #expect(try await gnapIntrospect(client, app, derived)["active"] as? Bool == true)

            let (path, token) = revocation == .token ? (parent.manage, parent.manageToken) : (parent.grant, parent.continuation)
            let revoked = try await GNAPEndpointTests.send(client, app, agent, method: .delete, path: path, body: nil, token: token)
            #expect(revoked.status == .noContent, "\(revoked.json)")

            for token in [parent.value, derived] {
                #expect(try await TokenLedgerTests.oauthIntrospect(client, token)["active"] as? Bool == false, "OAuth /introspect")
                #expect(try await gnapIntrospect(client, app, token)["active"] as? Bool == false, "GNAP introspection")
            }
        }
    }

    /// A derived-token request asked of the entry point directly: granted and recorded as the parent's child
    /// in the ledger; an owner's forbid on `exchange` refuses it door-neutrally, as at the token endpoint.
    @Test func theOneEntryPointAnswersADerivedTokenRequest() async throws {
        let forbid = Self.ownerPolicy + "\nforbid (principal == Client::\"rs-1\", action == Action::\"exchange\", resource);\n"
        for policy in [Self.ownerPolicy, forbid] {
            let app = try await app(policy: policy)
            let rs = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
            let thumbprint = try #require(try rs.key.jwk?.thumbprint())
            let identity = ClientIdentity(
                .gnap(instanceID: "rs-1", allowedAccess: [], thumbprint: thumbprint),
                provenKey: ProvenKey(gnapProof: "httpsig", thumbprint: thumbprint)
            )
            try await app.application.test(.router) { client in
                let parent = try await gnapParent(client, app)
                let asked = AccessRequest(
                    deriving: GNAPGrantRequest(accessToken: .single(.init(access: try Self.backupOnly()))),
                    from: parent.value,
                    key: rs.key,
                    serverAudiences: [Self.backup]
                )
                switch try await app.engine.answer(asked, from: identity) {
                case .granted(let granted):
                    #expect(policy == Self.ownerPolicy, "an owner's forbid on exchange must refuse")
                    let derived = try #require(granted.tokens.first)
                    let jti = try #require(try Self.claims(derived.value)["jti"] as? String)
                    let parentJTI = try #require(try Self.claims(parent.value)["jti"] as? String)
                    #expect(try await app.engine.stores.tokens.accessToken(jti: jti)?.parent?.tokenID == parentJTI)
                case .denied(let refusal):
                    #expect(policy == forbid, "\(refusal)")
                    #expect(refusal.gnapCode == .requestDenied)
                default:
                    Issue.record("a derived token request waits for no one")
                }
            }
        }
    }
}
