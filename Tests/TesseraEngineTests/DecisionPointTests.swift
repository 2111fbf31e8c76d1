import Cedar
import TesseraProtocol
import Testing

@testable import TesseraEngine

/// The one decision point (issue 19 item 2, docs/policy.md): the built-in vocabulary, the shipped
/// defaults reproducing today's rules, the owner's set beside them, and fail-closed evaluation.
@Suite struct DecisionPointTests {
    static let service = AccessQuestion.Party(id: "service-a", door: .oauth, registered: true, scopes: ["read", "write"])
    static let agent = AccessQuestion.Party(id: "agent-1", door: .gnap, registered: true, scopes: ["backup-api", "metrics"])
    static let stranger = AccessQuestion.Party(id: "jkt:abc", door: .gnap, registered: false, scopes: [])

    static func ask(
        _ point: DecisionPoint,
        _ party: AccessQuestion.Party,
        _ operation: AccessQuestion.Operation,
        _ rights: [String]
    ) -> AccessDecision {
        point.decide(AccessQuestion(party: party, operation: operation, rights: rights, door: party.door, grantType: "test"))
    }

    @Test func theVocabularyAndTheDefaultsParseAndValidate() throws {
        let schema = try #require(PolicyVocabulary.schema)
        let defaults = try PolicySet(parsing: PolicyVocabulary.defaultPoliciesText)
        #expect(defaults.policies.count == 7)
        let report = Validator(schema: schema, mode: .strict).validate(defaults)
        #expect(report.isValid)
        #expect(report.warnings.isEmpty, "every shipped default can apply: \(report.warnings)")
        // The owner's set is checked against the same words the defaults are written in.
        _ = try OwnerPolicy(text: PolicyVocabulary.defaultPoliciesText, source: "defaults-again.cedar")
    }

    /// Today's answers, one row each: OAuth scope allow-lists, GNAP `allowed_access`, person approval.
    @Test(
        arguments: [
            (service, AccessQuestion.Operation.token, ["read"], true),
            (service, .token, ["read", "write"], true),
            (service, .token, ["admin"], false),
            (service, .approve, ["write"], true),
            (service, .approve, ["admin"], false),
            (service, .refresh, ["anything"], true),
            (service, .exchange, ["anything"], true),
            (service, .redeem, ["openid"], true),
            (agent, .token, ["backup-api", "metrics"], true),
            (agent, .token, ["photos"], false),
            (agent, .approve, ["photos"], true),
            (stranger, .token, ["photos"], false),
            (stranger, .approve, ["photos"], true),
        ]
    )
    func theShippedDefaultsReproduceTodaysAnswers(
        party: AccessQuestion.Party,
        operation: AccessQuestion.Operation,
        rights: [String],
        permitted: Bool
    ) {
        let decision = Self.ask(DecisionPoint(), party, operation, rights)
        #expect(decision.isPermitted == permitted)
        #expect(decision.refusals.isEmpty, "the defaults only permit; a refusal is the owner's")
    }

    @Test func anOwnerForbidRefusesWhatTheDefaultsPermitAndIsNamed() throws {
        let owner = try OwnerPolicy(
            text: """
                @id("no-writes-for-service-a")
                forbid (principal == Client::"service-a", action, resource == Scope::"write");
                """,
            source: "owner.cedar"
        )
        let point = DecisionPoint(owner: owner)
        let decision = Self.ask(point, Self.service, .token, ["read", "write"])
        #expect(decision.permitted == ["read"])
        let refusal = try #require(decision.refusals.first)
        #expect(refusal.right == "write")
        #expect(refusal.verdict == .forbidden)
        #expect(refusal.policies.map(\.name) == ["no-writes-for-service-a"])
        #expect(refusal.policies.first?.source == "owner.cedar")
        #expect(Self.ask(point, Self.service, .refresh, ["write"]).refusals.count == 1)
    }

    @Test func anOwnerPermitAddsToTheDefaults() throws {
        let owner = try OwnerPolicy(
            text: #"permit (principal == Client::"service-a", action == Action::"token", resource == Scope::"admin");"#,
            source: "owner.cedar"
        )
        #expect(Self.ask(DecisionPoint(owner: owner), Self.service, .token, ["admin"]).isPermitted)
        let replacing = try OwnerPolicy(text: owner.text, source: "owner.cedar", includesDefaults: false)
        // Replacing the defaults: only what the owner permits.
        #expect(Self.ask(DecisionPoint(owner: replacing), Self.service, .token, ["admin"]).isPermitted)
        #expect(!Self.ask(DecisionPoint(owner: replacing), Self.service, .token, ["read"]).isPermitted)
    }

    /// Cedar skips an erroring policy, so an erroring forbid would allow; the decision point refuses.
    @Test func aPolicyThatFailsToEvaluateRefusesInsteadOfBeingSkipped() throws {
        let owner = try OwnerPolicy(
            text: #"forbid (principal, action, resource == Scope::"write") when { 9223372036854775807 + 1 > 0 };"#,
            source: "overflow.cedar"
        )
        let decision = Self.ask(DecisionPoint(owner: owner), Self.service, .token, ["read", "write"])
        #expect(decision.permitted == ["read"])
        let refusal = try #require(decision.refusals.first)
        #expect(refusal.verdict == .failed)
        #expect(refusal.errors.count == 1)
    }

    @Test func aBrokenOwnerSetIsRefusedWithEveryProblemAndItsPlace() {
        #expect {
            _ = try OwnerPolicy(
                text: "permit (principal, action, resource) when { principal.scopez.contains(resource) };",
                source: "p.cedar"
            )
        } throws: { error in
            let problems = (error as? OwnerPolicyError)?.problems ?? []
            return problems.count == 1 && problems[0].hasPrefix("p.cedar:1:1:") && problems[0].contains("scopez")
        }
        #expect {
            _ = try OwnerPolicy(text: "permit (principal, action, resource);\nforbid (principal action, resource);", source: "p.cedar")
        } throws: { error in
            ((error as? OwnerPolicyError)?.problems ?? []).first?.hasPrefix("p.cedar:2:") == true
        }
        #expect(throws: OwnerPolicyError.self) {
            _ = try OwnerPolicy(text: #"forbid (principal, action == Action::"teleport", resource);"#, source: "p.cedar")
        }
        #expect(throws: OwnerPolicyError.self) {
            _ = try OwnerPolicy(text: "permit (principal == ?principal, action, resource);", source: "p.cedar")
        }
    }

    // MARK: - Every operation, and configuration keys as policies

    static let rs = AccessQuestion.Party(
        id: "rs-backup",
        door: .oauth,
        registered: true,
        scopes: [],
        introspectionAudiences: ["https://backup.example/"]
    )

    static func introspection(
        _ party: AccessQuestion.Party,
        audiences: [String],
        holder: String?,
        type: String = "access_token"
    )
        -> AccessDecision.Verdict
    {
        DecisionPoint().decide(
            IntrospectionQuestion(party: party, scopes: ["read"], audiences: audiences, tokenType: type, holder: holder, user: nil)
        ).verdict
    }

    /// RFC 7662 §4 as before: the RS of an audience or the holder; a refresh token only to its holder.
    @Test func theIntrospectionDefaultReproducesTodaysRule() {
        #expect(Self.introspection(Self.rs, audiences: ["https://backup.example/"], holder: "service-a") == .permitted)
        #expect(Self.introspection(Self.rs, audiences: ["https://photos.example/"], holder: "service-a") == .notPermitted)
        #expect(Self.introspection(Self.service, audiences: ["https://photos.example/"], holder: "service-a") == .permitted)
        #expect(Self.introspection(Self.service, audiences: ["https://photos.example/"], holder: nil) == .notPermitted)
        #expect(
            Self.introspection(Self.rs, audiences: ["https://backup.example/"], holder: "service-a", type: "refresh_token") == .notPermitted
        )
    }

    static var trust: TrustConfiguration {
        var trust = TrustConfiguration()
        var peer = TrustConfiguration.Peer(name: "b\"", issuer: "https://as-b.example")
        peer.scopes = Scope(["read"])
        var settings = IDJAGTrust()
        settings.clients = ["app"]
        settings.scopes = Scope(["read"])
        settings.resources = ["https://mcp.example/"]
        peer.idJAG = settings
        trust.peers = [peer]
        return trust
    }

    @Test func configurationKeysBecomeValidPoliciesThatDecideAsTheKeysDid() throws {
        let text = ConfiguredPolicies.text(trust: Self.trust, resourceOwners: ["photos": "alice"])
        _ = try OwnerPolicy(text: text, source: ConfiguredPolicies.source)
        let point = DecisionPoint(configured: text)
        func ask(_ question: AccessQuestion) -> AccessDecision { point.decide(question) }

        // gnap.interaction.resource_owners: only alice approves photos; the grant request (no person yet) waits.
        var approve = AccessQuestion(
            party: Self.stranger,
            operation: .approve,
            rights: ["photos"],
            user: "bob",
            door: .gnap,
            grantType: "gnap"
        )
        #expect(ask(approve).refusals.count == 1)
        approve.user = "alice"
        #expect(ask(approve).isPermitted)
        approve.user = nil
        #expect(ask(approve).isPermitted)

        // chaining.peers[].scopes: a grant from that peer yields at most `read`.
        var redeem = AccessQuestion(party: Self.service, operation: .redeem, rights: ["read", "write"], door: .oauth, grantType: "jwt")
        redeem.peer = "b\""
        #expect(ask(redeem).permitted == ["read"])
        redeem.peer = "other"
        #expect(ask(redeem).isPermitted)

        // chaining.peers[].id_jag: app gets ID-JAGs for the peer and its resource, scope read only.
        let app = AccessQuestion.Party(id: "app", door: .oauth, registered: true, scopes: [])
        var idJAG = AccessQuestion(
            party: app,
            operation: .exchange,
            rights: ["read", "write"],
            audiences: ["https://as-b.example", "https://mcp.example/"],
            door: .oauth,
            grantType: "token-exchange"
        )
        idJAG.requestedTokenType = TokenTypeIdentifier.idJAG
        let decision = ask(idJAG)
        #expect(decision.permitted == ["read"])
        #expect(decision.refusedAudiences.isEmpty)
        idJAG.party = Self.service
        #expect(ask(idJAG).refusedAudiences.count == 2)
        // Without the key, nobody gets one (nothing listed, nothing permitted).
        #expect(DecisionPoint().decide(idJAG).refusedAudiences.count == 2)
    }

    /// An audience is one more question only when something can refuse it: an owner's set, or an ID-JAG.
    @Test func audiencesAreAskedWhenSomethingCanRefuseThem() throws {
        let question = AccessQuestion(
            party: Self.service,
            operation: .exchange,
            rights: ["read"],
            audiences: ["https://as-b.example"],
            door: .oauth,
            grantType: "token-exchange"
        )
        #expect(DecisionPoint().decide(question).rulings.count == 1)
        let owner = try OwnerPolicy(text: #"forbid (principal, action, resource == Resource::"https://as-b.example");"#, source: "o.cedar")
        let decision = DecisionPoint(owner: owner).decide(question)
        #expect(decision.rulings.count == 2)
        #expect(decision.refusedAudiences.map(\.right) == ["https://as-b.example"])
        #expect(decision.permitted == ["read"])
    }

    /// An owner's `@challenge` forbid asks for evidence; one without refuses; evidence lifts it.
    @Test func challengeRulingsCarryTheirAnnotations() throws {
        let owner = try OwnerPolicy(
            text: """
                @challenge("urn:x:attest")
                forbid (principal, action == Action::"challenge", resource) when { context.largestAmount > 1000 };
                """,
            source: "owner.cedar"
        )
        let point = DecisionPoint(owner: owner)
        #expect(point.mayChallenge)
        #expect(!DecisionPoint().mayChallenge)
        let context: [CedarString: CedarValue] = [
            "door": .string("oauth"), "grantType": .string("client_credentials"), "scopes": .set([]), "audiences": .set([]),
            "clientAgeSeconds": .long(0), "metadataDocumentClient": .bool(false), "scopeBeyondMetadata": .bool(false),
            "keysChangedRecently": .bool(false), "senderConstrained": .bool(false), "authorizationDetailsTypes": .set([]),
            "largestAmount": .long(5000), "evidence": .set([]),
        ]
        let (ruling, forbids) = point.challenge(party: Self.service, context: context)
        #expect(ruling.verdict == .forbidden)
        #expect(ClientChallengePolicy.Verdict.verdict(ruling, forbids: forbids, satisfied: []) == .challenge(type: "urn:x:attest"))
        #expect(ClientChallengePolicy.Verdict.verdict(ruling, forbids: forbids, satisfied: ["urn:x:attest"]) == .permit)
    }
}
