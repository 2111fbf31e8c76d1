import Cedar
import TesseraProtocol
import Testing

@testable import TesseraEngine

/// The old policy files' vocabularies, translated into the one decision point's (docs/policy.md,
/// "Policy files in their old words"): the same decisions, fail closed where Cedar would skip an
/// erroring policy, and refused outright where a translation could not mean the same.
@Suite struct EnginePolicyFailClosedTests {
    static let app = AccessQuestion.Party(id: "app", door: .oauth, registered: true, scopes: ["read", "write"])

    /// A peer-grant redemption as the redeemers ask it.
    static func redeem(_ point: DecisionPoint, _ scope: String, peer: String = "b", claims: [String: JSONValue]) -> AccessDecision.Ruling {
        var question = AccessQuestion(party: app, operation: .redeem, rights: [scope], user: "alice", door: .oauth, grantType: "jwt-bearer")
        question.peer = peer
        question.chaining = [
            "issuer": .string("https://b.example"), "subject": .string("alice"), "client_id": .string(""),
            "redeeming_client": .string("app"), "actor": .string(""), "claims": .object(claims),
        ]
        return point.decide(question).rulings[0]
    }

    @Test func chainingPolicyRefusesAScopeWhenAForbidErrors() throws {
        let file = try TranslatedPolicies(
            text: """
                permit (principal, action, resource);
                forbid (principal, action, resource) when { context.claims.department == "contractors" };
                """,
            source: "peers.cedar",
            role: .peerGrants
        )
        let point = DecisionPoint(translated: [file])
        #expect(Self.redeem(point, "read", claims: ["department": .string("staff")]).verdict == .permitted)
        #expect(Self.redeem(point, "read", claims: ["department": .string("contractors")]).verdict == .forbidden)
        #expect(Self.redeem(point, "read", claims: [:]).verdict == .failed, "a forbid that cannot be evaluated must not fail open")
        // Only peer-grant redemptions were asked of the file: an authorization code is not.
        let code = AccessQuestion(party: Self.app, operation: .redeem, rights: ["read"], door: .oauth, grantType: "authorization_code")
        #expect(point.decide(code).isPermitted)
    }

    /// The file permitted nothing by default: a scope none of its permits names is refused, by name.
    @Test func chainingPolicyPermitsAreRequired() throws {
        let file = try TranslatedPolicies(
            text: #"permit (principal == Peer::"b", action == Action::"request_scope", resource == Scope::"read");"#,
            source: "/etc/peers.cedar",
            role: .peerGrants
        )
        let point = DecisionPoint(translated: [file])
        #expect(Self.redeem(point, "read", claims: [:]).verdict == .permitted)
        let refused = Self.redeem(point, "write", claims: [:])
        #expect(refused.verdict == .forbidden)
        #expect(refused.policies.map(\.description) == [#""peers.cedar: permitted by no policy (request_scope)""#])
        #expect(Self.redeem(point, "read", peer: "c", claims: [:]).verdict == .forbidden, "another peer")
    }

    /// A policy whose words would mean something else in the one vocabulary stops the server,
    /// naming the file and the policy.
    @Test func untranslatablePoliciesAreRefusedByName() {
        let cases: [(String, PolicyTranslation.Role, String)] = [
            (#"@id("attr") forbid (principal, action, resource) when { principal.department == "x" };"#, .peerGrants, "attr"),
            (#"forbid (principal, action, resource) when { context.no_such_key > 1 };"#, .clientChallenges, "policy0"),
            (
                #"@id("in") forbid (principal in Client::"a", action, resource) when { resource in AuthorizationServer::"x" };"#,
                .clientChallenges, "in"
            ),
            (#"@id("typo") permit (principal, action == Action::"request_scopes", resource);"#, .peerGrants, "typo"),
            (#"@id("peer") forbid (principal, action, resource) when { principal == Peer::"b" };"#, .peerGrants, "peer"),
            (#"@id("scopes") forbid (principal, action, resource) when { context.scopes == ["a"] };"#, .clientChallenges, "scopes"),
            (
                #"@id("idjag") forbid (principal, action == Action::"request_id_jag", resource) when { context.peer == "b" };"#, .idJAG,
                "idjag"
            ),
        ]
        for (text, role, policy) in cases {
            #expect(throws: PolicyTranslationError.self, "\(text)") {
                _ = try TranslatedPolicies(text: text, source: "file.cedar", role: role)
            }
            do { _ = try TranslatedPolicies(text: text, source: "file.cedar", role: role) } catch {
                #expect(error.source == "file.cedar")
                #expect(error.policy == policy, "\(error)")
            }
        }
    }

    /// `client_challenges.policy`: snake_case context renamed, scope names made `Scope` entities,
    /// `AuthorizationServer` the server's `TrustDomain`, annotations kept; its permits widen nothing.
    @Test func challengePolicyIsAskedAsActionChallenge() throws {
        let file = try TranslatedPolicies(
            text: """
                permit (principal, action, resource);
                @challenge("urn:x:attest")
                forbid (principal, action == Action::"token", resource == AuthorizationServer::"https://as.example")
                when { context.scopes.contains("payments") && context.largest_amount > 1000 };
                @reason("no strangers")
                forbid (principal == Client::"stranger", action, resource is AuthorizationServer);
                """,
            source: "client_challenges.policy",
            role: .clientChallenges
        )
        let point = DecisionPoint(issuer: "https://as.example", translated: [file])
        func context(_ scopes: [String], amount: Int64) -> [CedarString: CedarValue] {
            [
                "door": .string("oauth"), "grantType": .string("client_credentials"),
                "scopes": .set(Set(scopes.map { .entity(EntityUID("Scope", $0)) })), "audiences": .set([]), "clientAgeSeconds": .long(0),
                "metadataDocumentClient": .bool(false), "scopeBeyondMetadata": .bool(false), "keysChangedRecently": .bool(false),
                "senderConstrained": .bool(false), "authorizationDetailsTypes": .set([]), "largestAmount": .long(amount),
                "evidence": .set([]),
            ]
        }
        let (big, forbids) = point.challenge(party: Self.app, context: context(["payments"], amount: 5000))
        #expect(ClientChallengePolicy.Verdict.verdict(big, forbids: forbids, satisfied: []) == .challenge(type: "urn:x:attest"))
        #expect(ClientChallengePolicy.Verdict.verdict(big, forbids: forbids, satisfied: ["urn:x:attest"]) == .permit)
        #expect(point.challenge(party: Self.app, context: context(["read"], amount: 5000)).0.verdict == .permitted)
        let stranger = AccessQuestion.Party(id: "stranger", door: .oauth, registered: true, scopes: [])
        let (refused, reasons) = point.challenge(party: stranger, context: context([], amount: 0))
        #expect(ClientChallengePolicy.Verdict.verdict(refused, forbids: reasons, satisfied: []) == .deny("no strangers"))
        #expect(!file.text.contains("permit"), "the file started from permit-all; its permits carry nothing over")
    }
}
