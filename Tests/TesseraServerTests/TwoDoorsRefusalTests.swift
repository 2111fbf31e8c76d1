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

/// Issue 19 item 6, the refusal rows: the same access refused through the OAuth door and the GNAP
/// door, for one door-neutral reason (``Refusal/Code``) that each door words with its own code —
/// RFC 6749 §5.2 (and RFC 8693, RFC 8707, RFC 9396, RFC 9449) at `/token`, RFC 9635 §3.6 at the
/// grant endpoint. The OAuth answer, read back as a ``Refusal``, is worded as the GNAP door words it.
extension TwoDoorsTests {
    static let ownerPolicy = """
        @id("nobody-deletes")
        forbid (principal, action, resource == Scope::"delete");
        """

    static let cedarSet = "permit (principal, action, resource);"

    /// A refused request, in each door's words.
    enum Refused: String, CaseIterable, Sendable {
        /// An owner's `forbid` on a registered right.
        case ownerForbid
        /// A forbidden right beside a permitted one: the whole request is refused, not narrowed.
        case ownerForbidBesidePermitted
        /// A Cedar set of a type the server does not know.
        case unknownRichType
        /// A Cedar set of a known type that has no Cedar profile.
        case richTypeWithoutCedar
        /// A client nobody registered.
        case unknownClient
        /// A request asking for nothing it could be given.
        case malformed
        /// A proof of possession for another request.
        case keyProofForAnotherRequest
        /// A subject token that expired (exchanged at OAuth, derived from at GNAP, RFC 9767 §4).
        case expiredSubject
        /// A subject token revoked.
        case revokedSubject
        /// A derived token wider than its parent.
        case widerThanParent
        /// A derived token for an audience the parent is not for.
        case audienceNotAllowed

        /// The door-neutral reason both doors must give.
        var reason: Refusal.Code {
            switch self {
            case .ownerForbid, .ownerForbidBesidePermitted, .widerThanParent: .rightsRefused
            case .unknownRichType, .richTypeWithoutCedar: .rightsMalformed
            case .unknownClient: .unknownClient
            // RFC 8693 §2.2.2: an unusable subject_token is invalid_request; GNAP says the same.
            case .malformed, .expiredSubject, .revokedSubject: .malformedRequest
            case .keyProofForAnotherRequest: .keyProofRejected
            case .audienceNotAllowed: .audienceRefused
            }
        }

        /// What each door answers, spelled out (RFC 6749 §5.2 and extensions; RFC 9635 §3.6).
        var codes: (oauth: String, gnap: String) {
            switch self {
            case .ownerForbid, .ownerForbidBesidePermitted, .widerThanParent: ("invalid_scope", "request_denied")
            case .unknownRichType, .richTypeWithoutCedar: ("invalid_authorization_details", "invalid_request")
            case .unknownClient: ("invalid_client", "invalid_client")
            case .malformed, .expiredSubject, .revokedSubject: ("invalid_request", "invalid_request")
            case .keyProofForAnotherRequest: ("invalid_dpop_proof", "invalid_client")
            case .audienceNotAllowed: ("invalid_target", "request_denied")
            }
        }

        var isDerivation: Bool { [.expiredSubject, .revokedSubject, .widerThanParent, .audienceNotAllowed].contains(self) }

        /// The rights asked for: scope tokens (OAuth) and references (GNAP).
        var asked: [String] {
            switch self {
            case .ownerForbid: ["delete"]
            case .ownerForbidBesidePermitted: ["read", "delete"]
            case .widerThanParent: ["read", "openid"]
            default: ["read"]
            }
        }

        /// A Cedar set of `type`, as an RFC 9396 entry or a GNAP access object.
        var cedarObject: [String: Any]? {
            switch self {
            case .unknownRichType: ["type": "unknown-api", "rarFormat": "cedar", "policySet": TwoDoorsTests.cedarSet]
            case .richTypeWithoutCedar: ["type": "backup-api", "rarFormat": "cedar", "policySet": TwoDoorsTests.cedarSet]
            default: nil
            }
        }
    }

    static func gnapCode(_ json: [String: Any]) -> String? {
        (json["error"] as? [String: Any])?["code"] as? String ?? json["error"] as? String
    }

    /// A parent token for the derivation rows, from each door: OAuth client credentials, a GNAP grant.
    func parents(_ row: Refused, _ client: any TestClientProtocol, _ app: TesseraApplication) async throws -> (oauth: String, gnap: String)
    {
        // The audience-row parents are located at a server resource server rs-1 does not serve.
        let elsewhere: [String: Any] = ["type": "backup-api", "actions": ["read"], "locations": ["https://elsewhere.example/"]]
        var oauthForm = [("grant_type", "client_credentials"), ("scope", "read")]
        var access: [GNAPAccessRight] = ["read"]
        if row == .audienceNotAllowed {
            let json = try JSONSerialization.data(withJSONObject: [elsewhere], options: [.withoutEscapingSlashes])
            oauthForm.append(("authorization_details", String(decoding: json, as: UTF8.self)))
            access.append(try JSONDecoder().decode(GNAPAccessRight.self, from: JSONSerialization.data(withJSONObject: elsewhere)))
        }
        let (status, body) = try await TokenLedgerTests.form(client, "/token", oauthForm, id: "agent-1")
        #expect(status == .ok, "\(body)")
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        let grant = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(.init(access: access)))
        let answer = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: grant)
        let gnap = try #require((answer.json["access_token"] as? [String: Any])?["value"] as? String, "\(answer.json)")
        return (try #require(body["access_token"] as? String, "\(body)"), gnap)
    }

    /// The OAuth door's answer: an error code.
    func oauthRefusal(_ row: Refused, parent: String?, _ client: any TestClientProtocol, _ app: TesseraApplication) async throws -> String?
    {
        var form: [(String, String)] = [("grant_type", "client_credentials"), ("scope", row.asked.joined(separator: " "))]
        var id = "agent-1"
        var proof: String?
        switch row {
        case .unknownClient: id = "ghost"
        case .malformed: form = [("scope", "read")]
        case .keyProofForAnotherRequest: proof = dpop.proof(method: "POST", uri: "https://elsewhere.example/token", now: clock.now)
        case .unknownRichType, .richTypeWithoutCedar:
            let json = try JSONSerialization.data(withJSONObject: [row.cedarObject as Any], options: [.withoutEscapingSlashes])
            form.append(("authorization_details", String(decoding: json, as: UTF8.self)))
        case .expiredSubject, .revokedSubject, .widerThanParent, .audienceNotAllowed:
            form = [
                ("grant_type", Self.exchange), ("subject_token", parent ?? ""), ("subject_token_type", Self.accessTokenType),
                ("scope", row.asked.joined(separator: " ")),
            ]
            if row == .audienceNotAllowed { form.append(("audience", "https://backup.example/")) }
        case .ownerForbid, .ownerForbidBesidePermitted: break
        }
        let (status, body) = try await TokenLedgerTests.form(client, "/token", form, id: id, dpop: proof)
        #expect(status != .ok, "\(body)")
        return body["error"] as? String
    }

    /// The GNAP door's answer: an error code.
    func gnapRefusal(_ row: Refused, parent: String?, _ client: any TestClientProtocol, _ app: TesseraApplication) async throws -> String? {
        var signer = GNAPTestSigner(kid: "agent-1", privateKey: agentKey, now: clock.closure)
        var access = try row.asked.map { try JSONDecoder().decode(GNAPAccessRight.self, from: Data("\"\($0)\"".utf8)) }
        if let object = row.cedarObject {
            access.append(try JSONDecoder().decode(GNAPAccessRight.self, from: JSONSerialization.data(withJSONObject: object)))
        }
        var request = GNAPGrantRequest(accessToken: .single(.init(access: access)), client: .instance("agent-1"))
        switch row {
        case .unknownClient: request.client = .instance("ghost")
        case .malformed: request.accessToken = nil
        case .keyProofForAnotherRequest:
            signer = GNAPTestSigner(kid: "agent-1", privateKey: Curve25519.Signing.PrivateKey(), now: clock.closure)
        case .expiredSubject, .revokedSubject, .widerThanParent, .audienceNotAllowed:
            // RFC 9767 §4: resource server rs-1, signing with its own key, asks for a token derived from the parent.
            signer = GNAPTestSigner(kid: "rs-1", privateKey: rsKey, now: clock.closure)
            request.client = .instance("rs-1")
            request.existingAccessToken = parent
        default: break
        }
        let answer = try await GNAPEndpointTests.send(
            client,
            app,
            signer,
            method: .post,
            path: "/gnap",
            body: try GNAPTestSigner.body(request)
        )
        #expect(answer.status != .ok, "\(answer.json)")
        return Self.gnapCode(answer.json)
    }

    @Test(arguments: Refused.allCases) func theSameAccessIsRefusedAlikeThroughBothDoors(_ row: Refused) async throws {
        #expect(Refused.allCases.count >= 10)
        let app = try await app()
        try await app.application.test(.router) { client in
            var parents: (oauth: String, gnap: String)?
            if row.isDerivation {
                let made = try await self.parents(row, client, app)
                parents = made
                if row == .expiredSubject { clock.advance(by: 3601) }
                if row == .revokedSubject {
                    for token in [made.oauth, made.gnap] {
                        let jti = try #require(try Self.claims(token)["jti"] as? String)
                        #expect(try await app.engine.stores.tokens.revokeAccessToken(jti: jti, at: clock.now))
                    }
                }
            }
            let oauth = try await oauthRefusal(row, parent: parents?.oauth, client, app)
            let gnap = try await gnapRefusal(row, parent: parents?.gnap, client, app)
            #expect(oauth == row.codes.oauth, "OAuth door")
            #expect(gnap == row.codes.gnap, "GNAP door")
            #expect(Refusal(row.reason, "").oauthCode.rawValue == row.codes.oauth)
            #expect(Refusal(row.reason, "").gnapCode.rawValue == row.codes.gnap)
            // One reason: the OAuth answer read back door-neutrally is worded as the GNAP door words it.
            let read = Refusal(OAuthError(OAuthError.Code(rawValue: oauth ?? ""), ""))
            #expect(read.code == row.reason)
            #expect(read.gnapCode.rawValue == gnap)
        }
    }
}
