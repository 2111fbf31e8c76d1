import Cedar
import Foundation
import TesseraProtocol
import TesseraResource
import TesseraTesting
import Testing

/// RS-side enforcement of granted Cedar policy sets (seed 003): the token's grant and the RS's own
/// policies must both allow; denials say why.
@Suite struct GrantedPolicyEnforcerTests {
    static func details(_ policySet: String, type: String = "payment_initiation") -> [JSONValue] {
        [.object(["type": .string(type), "rarFormat": .string("cedar"), "policySet": .string(policySet)])]
    }

    /// Figure 4's granted policy set.
    static func figure4() throws -> [JSONValue] { details(try SeedFigures.policySet(SeedFigures.figure4)) }

    @Test func figure4AllowsExactlyThePaymentItDescribes() throws {
        let enforcer = try GrantedPolicyEnforcer()
        let grant = GrantedPolicyEnforcer.Grant(cacheKey: "jti-1", authorizationDetails: try Self.figure4())
        let entities = try BankFixtures.entities()
        for action in ["initiate", "status", "cancel"] {
            let decision = enforcer.authorize(try BankFixtures.payment(action: action), entities: entities, grant: grant)
            #expect(decision.isAllowed, "\(action): \(decision.reason ?? "")")
            #expect(decision.determiningPolicies == ["entry0.policy0"])
        }
        let refused: [AuthorizationRequest] = [
            try BankFixtures.payment(amount: "123.49"),
            try BankFixtures.payment(currency: "USD"),
            try BankFixtures.payment(creditor: BankFixtures.otherCreditor),
            try BankFixtures.payment(user: "mallory"),
            try BankFixtures.accountRequest(action: "read_balances"),
        ]
        for request in refused {
            let decision = enforcer.authorize(request, entities: entities, grant: grant)
            #expect(!decision.isAllowed)
            #expect(decision.reason?.contains("no granted policy permits this request") == true, "\(decision.reason ?? "")")
        }
        let other = enforcer.authorize(try BankFixtures.payment(amount: "5.00"), entities: entities, grant: grant)
        #expect(
            other.reason
                == #"BankA::User::"696d28c8-8912-41d2-b182-aa7087323318" may not BankA::Action::"initiate" on Creditor::"https://example.com/payments": no granted policy permits this request"#
        )
    }

    @Test func theResourceServersOwnPoliciesMustAllowToo() throws {
        let own = """
            permit (principal, action, resource);
            forbid (principal, action == BankA::Action::"cancel", resource);
            """
        let enforcer = try GrantedPolicyEnforcer(ownPolicies: own)
        let grant = GrantedPolicyEnforcer.Grant(cacheKey: "jti-2", authorizationDetails: try Self.figure4())
        let entities = try BankFixtures.entities()
        #expect(enforcer.authorize(try BankFixtures.payment(), entities: entities, grant: grant).isAllowed)
        let cancel = enforcer.authorize(try BankFixtures.payment(action: "cancel"), entities: entities, grant: grant)
        #expect(!cancel.isAllowed)
        #expect(
            cancel.reason
                == #"the resource server's own policies deny BankA::Action::"cancel" on Creditor::"https://example.com/payments": forbidden by policy1"#
        )
    }

    @Test func grantedForbidsAndExpiryAreEnforcedWithTheEnforcersClock() throws {
        let text = """
            permit (principal, action == BankA::Action::"initiate", resource is Creditor) when { context.now < datetime("2027-01-15T08:10:00Z") };
            forbid (principal, action, resource) when { context.instructedAmount.currency == "USD" };
            """
        let clock = TesseraTesting.TestClock()
        let enforcer = try GrantedPolicyEnforcer(now: { clock.now })
        let grant = GrantedPolicyEnforcer.Grant(authorizationDetails: Self.details(text))
        let entities = try BankFixtures.entities()
        #expect(enforcer.authorize(try BankFixtures.payment(amount: "9.00"), entities: entities, grant: grant).isAllowed)
        let usd = enforcer.authorize(try BankFixtures.payment(currency: "USD"), entities: entities, grant: grant)
        #expect(usd.reason?.hasSuffix("forbidden by the granted policy entry0.policy1") == true, "\(usd.reason ?? "")")
        // The caller cannot set `now`: the enforcer's clock wins.
        var spoofed = try BankFixtures.payment()
        spoofed.context["now"] = .extensionValue(.datetime(0))
        clock.advance(by: 600)
        #expect(!enforcer.authorize(spoofed, entities: entities, grant: grant).isAllowed)
        #expect(!enforcer.authorize(try BankFixtures.payment(), entities: entities, grant: grant).isAllowed)
    }

    @Test func tokensWithoutUsablePoliciesAreRefused() throws {
        let enforcer = try GrantedPolicyEnforcer(acceptedTypes: ["payment_initiation"])
        let entities = try BankFixtures.entities()
        let cases: [([JSONValue]?, String)] = [
            (nil, "the token grants no Cedar policies for this resource server"),
            (
                [.object(["type": .string("customer_information"), "actions": .array([.string("read")])])],
                "the token grants no Cedar policies for this resource server"
            ),
            (
                Self.details("permit(principal, action, resource);", type: "other_api"),
                "the token grants no Cedar policies for this resource server"
            ),
            (
                [.object(["type": .string("payment_initiation"), "rarFormat": .string("cedar")])],
                "authorization_details[0] has rarFormat cedar but no policySet"
            ),
            (Self.details("permit(principal action, resource);"), "authorization_details[0].policySet does not parse: 1:18: "),
        ]
        for (index, (details, reason)) in cases.enumerated() {
            let decision = enforcer.authorize(
                try BankFixtures.payment(),
                entities: entities,
                grant: .init(cacheKey: "case-\(index)", authorizationDetails: details)
            )
            #expect(!decision.isAllowed)
            #expect(decision.reason?.hasPrefix(reason) == true, "\(decision.reason ?? "")")
        }
    }

    @Test func multipleEntriesCombineAndTheCacheServesRepeats() throws {
        let accounts = #"permit (principal, action == BankA::Action::"read_balances", resource == BankA::"https://example.com/accounts");"#
        let details = try Self.figure4() + Self.details(accounts, type: "account_information")
        let enforcer = try GrantedPolicyEnforcer(cacheLimit: 2)
        let entities = try BankFixtures.entities()
        for round in 0..<5 {
            let grant = GrantedPolicyEnforcer.Grant(cacheKey: "jti-\(round % 3)", authorizationDetails: details)
            #expect(
                enforcer.authorize(try BankFixtures.accountRequest(action: "read_balances"), entities: entities, grant: grant)
                    .determiningPolicies == ["entry1.policy0"]
            )
            #expect(enforcer.authorize(try BankFixtures.payment(), entities: entities, grant: grant).isAllowed)
            #expect(
                !enforcer.authorize(try BankFixtures.accountRequest(action: "read_transactions"), entities: entities, grant: grant)
                    .isAllowed
            )
        }
    }
}

/// Cedar skips an erroring policy; where that policy is a `forbid`, Tessera's decisions fail closed.
@Suite struct PolicyFailClosedTests {
    @Test func anErroringForbidInTheGrantedSetDenies() throws {
        let text = """
            permit (principal, action, resource);
            forbid (principal, action, resource) when { context.noSuchMember == "x" };
            """
        let enforcer = try GrantedPolicyEnforcer()
        let grant = GrantedPolicyEnforcer.Grant(cacheKey: "fail-closed-1", authorizationDetails: GrantedPolicyEnforcerTests.details(text))
        let decision = enforcer.authorize(try BankFixtures.payment(), entities: try BankFixtures.entities(), grant: grant)
        #expect(!decision.isAllowed)
        #expect(decision.reason?.contains("could not be evaluated") == true, "\(decision.reason ?? "")")
    }

    @Test func anErroringForbidInTheResourceServersOwnPoliciesDenies() throws {
        let own = """
            permit (principal, action, resource);
            forbid (principal, action, resource) when { resource.noSuchAttribute };
            """
        let enforcer = try GrantedPolicyEnforcer(ownPolicies: own)
        let grant = GrantedPolicyEnforcer.Grant(cacheKey: "fail-closed-2", authorizationDetails: try GrantedPolicyEnforcerTests.figure4())
        let decision = enforcer.authorize(try BankFixtures.payment(), entities: try BankFixtures.entities(), grant: grant)
        #expect(!decision.isAllowed)
        #expect(decision.reason?.contains("own policies could not be evaluated") == true, "\(decision.reason ?? "")")
    }
}

/// Cedar grants are enforced the same way for GNAP tokens: Cedar-profile access rights become the grant.
@Suite struct GNAPGrantedPolicyTests {
    @Test func aGNAPCedarRightIsEnforcedLikeAuthorizationDetails() throws {
        let right = GNAPAccessRight.object(
            GNAPAccessObject(
                type: "payment_initiation",
                extra: ["rarFormat": .string("cedar"), "policySet": .string(try SeedFigures.policySet(SeedFigures.figure4))]
            )
        )
        let grant = GrantedPolicyEnforcer.Grant(gnapAccess: [right, .reference("photos")])
        let enforcer = try GrantedPolicyEnforcer()
        let entities = try BankFixtures.entities()
        #expect(enforcer.authorize(try BankFixtures.payment(), entities: entities, grant: grant).isAllowed)
        #expect(!enforcer.authorize(try BankFixtures.payment(amount: "999.00"), entities: entities, grant: grant).isAllowed)
        #expect(!enforcer.authorize(try BankFixtures.payment(currency: "USD"), entities: entities, grant: grant).isAllowed)
    }
}
