import Cedar
import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraTesting
import Testing

/// The Cedar profile for RAR (seed 003): the seed's figures, malformed policy sets, narrowing
/// checked by evaluating the granted set inside and outside the approved bounds.
@Suite struct CedarDetailsTests {
    let party = AuthorizationDetailsProcessor.Party(clientID: "service-a", subject: "service-a")

    func profile(
        delegation: String = SeedFigures.delegationPolicies(client: "service-a"),
        schema: String? = SeedFigures.bankSchema,
        pin: String? = nil,
        conditions: [String] = [],
        validFor: TimeInterval? = nil
    ) throws -> AuthorizationDetailsType.CedarProfile {
        try AuthorizationDetailsType.CedarProfile(
            schema: schema,
            delegationPolicies: delegation,
            pinPrincipalType: pin,
            conditions: conditions,
            validFor: validFor
        )
    }

    func processor(_ profile: AuthorizationDetailsType.CedarProfile) -> AuthorizationDetailsProcessor {
        AuthorizationDetailsProcessor(
            types: [
                AuthorizationDetailsType(type: "payment_initiation", cedar: profile),
                AuthorizationDetailsType(type: "account_information", cedar: profile),
            ],
            now: { Fixtures.epoch }
        )
    }

    func entry(_ policySet: String, type: String = "payment_initiation") -> [JSONValue] {
        [.object(["type": .string(type), "rarFormat": .string("cedar"), "policySet": .string(policySet)])]
    }

    func granted(_ details: [JSONValue], _ index: Int = 0) throws -> String {
        guard case .object(let members) = details[index], let text = members["policySet"]?.stringValue else {
            throw CocoaError(.coderValueNotFound)
        }
        #expect(members["rarFormat"] == .string("cedar"))
        return text
    }

    func refusal(_ p: AuthorizationDetailsProcessor, _ details: [JSONValue]) -> String? {
        do {
            _ = try p.grant(details, to: party)
            return nil
        } catch {
            #expect(error.code == .invalidAuthorizationDetails)
            return error.message
        }
    }

    // MARK: - The seed's figures

    @Test func figure2IsNarrowedToTheDelegableActions() throws {
        let details = try AuthorizationDetailsProcessor.parse(SeedFigures.json(SeedFigures.figure2))
        let granted = try granted(try processor(try profile()).grant(details, to: party))
        // cancel is not delegable by the AS's policies: dropped; the conditions stay.
        #expect(granted.contains(#"action in [BankA::Action::"initiate", BankA::Action::"status"]"#))
        #expect(!granted.contains("cancel"))
        #expect(try BankFixtures.allows(granted, BankFixtures.payment()))
        #expect(try BankFixtures.allows(granted, BankFixtures.payment(action: "status")))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(action: "cancel")))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(amount: "123.51")))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(currency: "USD")))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(creditor: BankFixtures.otherCreditor)))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(remittance: "other")))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(user: "someone-else")))
    }

    @Test func figure1VerbatimIsGrantedWithTheBIC() throws {
        // The figure is one object; as a parameter it is the array's only entry.
        let details = try AuthorizationDetailsProcessor.parse("[" + SeedFigures.json(SeedFigures.figure1) + "]")
        let granted = try granted(try processor(try profile()).grant(details, to: party))
        #expect(granted.contains(#"resource.creditorAccount.bic == "ABCIDEFFXXX""#))
        #expect(try BankFixtures.allows(granted, BankFixtures.payment()))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(action: "status")))
    }

    @Test func figure3GrantsBothEntriesNarrowed() throws {
        let details = try AuthorizationDetailsProcessor.parse(SeedFigures.json(SeedFigures.figure3))
        let result = try processor(try profile()).grant(details, to: party)
        #expect(result.count == 2)
        let accounts = try granted(result, 0)
        #expect(try BankFixtures.allows(accounts, BankFixtures.accountRequest(action: "list_accounts")))
        #expect(try BankFixtures.allows(accounts, BankFixtures.accountRequest(action: "read_balances")))
        #expect(try !BankFixtures.allows(accounts, BankFixtures.accountRequest(action: "read_transactions")))
        let payments = try granted(result, 1)
        #expect(try BankFixtures.allows(payments, BankFixtures.payment()))
        #expect(try !BankFixtures.allows(payments, BankFixtures.payment(action: "cancel")))
    }

    @Test func figure4IsWhatTheASReturnsWhenNothingIsNarrowed() throws {
        let everything = """
            permit (principal == Tessera::Client::"service-a", action, resource);
            """
        let details = try AuthorizationDetailsProcessor.parse(SeedFigures.json(SeedFigures.figure2))
        let granted = try granted(try processor(try profile(delegation: everything)).grant(details, to: party))
        let figure4 = try SeedFigures.policySet(SeedFigures.figure4)
        #expect(granted == PolicyFormatter.format(try PolicySet(parsing: figure4)))
    }

    // MARK: - Malformed policy sets

    @Test func syntaxErrorNamesLineAndColumn() throws {
        let text = """
            permit (
              principal,
              action == BankA::Action::"initiate"
              resource
            );
            """
        let message = refusal(processor(try profile()), entry(text))
        #expect(
            message?.hasPrefix("authorization_details[0].policySet has a Cedar syntax error at line 4, column 3") == true,
            "\(message ?? "")"
        )
    }

    @Test func unknownEntityTypeAgainstTheSchema() throws {
        let text = #"permit (principal == BankA::User::"u", action == BankA::Action::"initiate", resource == Bank::"x");"#
        let message = refusal(processor(try profile()), entry(text)) ?? ""
        #expect(
            message.hasPrefix(
                "authorization_details[0].policySet does not validate against the schema of type 'payment_initiation': the policy at line 1, column 1:"
            ),
            "\(message)"
        )
        #expect(message.contains("Bank"), "\(message)")
    }

    @Test func templateSlotsAreRefused() throws {
        let text = """
            permit (principal == BankA::User::"u", action == BankA::Action::"status", resource == Creditor::"c");
            permit (principal == ?principal, action == BankA::Action::"initiate", resource == Creditor::"c");
            """
        #expect(
            refusal(processor(try profile()), entry(text))
                == "authorization_details[0].policySet: the policy at line 2, column 1 is a template (?principal); template slots cannot be granted"
        )
    }

    @Test func emptySetsAreRefused() throws {
        for text in ["", "  // only a comment\n"] {
            #expect(refusal(processor(try profile()), entry(text)) == "authorization_details[0].policySet holds no policy")
        }
    }

    @Test func actionsMustBeNamed() throws {
        let text = #"permit (principal == BankA::User::"u", action, resource == Creditor::"c");"#
        #expect(
            refusal(processor(try profile(schema: nil)), entry(text))
                == "authorization_details[0].policySet: the policy at line 1, column 1 must name the actions to delegate (action == … or action in [ … ])"
        )
    }

    @Test func nothingDelegableIsRefusedWithWhatWasRefused() throws {
        let text = #"permit (principal == BankA::User::"u", action == BankA::Action::"cancel", resource == Creditor::"c");"#
        #expect(
            refusal(processor(try profile()), entry(text))
                == #"authorization_details[0]: nothing in the policy set may be delegated to this client; refused: BankA::Action::"cancel" (policy at line 1, column 1)"#
        )
        // Another client gets nothing at all.
        let other = AuthorizationDetailsProcessor.Party(clientID: "intruder", subject: "intruder")
        let details = try AuthorizationDetailsProcessor.parse(SeedFigures.json(SeedFigures.figure2))
        #expect(throws: OAuthError.invalidAuthorizationDetails("")) { try processor(try profile()).grant(details, to: other) }
    }

    @Test func tooManyPoliciesAreRefused() throws {
        let one = #"permit (principal, action == BankA::Action::"status", resource == Creditor::"c");"#
        let text = Array(repeating: one, count: 11).joined(separator: "\n")
        #expect(
            refusal(processor(try profile(schema: nil)), entry(text))
                == "authorization_details[0].policySet has 11 policies; at most 10 are accepted"
        )
    }

    // MARK: - Narrowing

    @Test func conditionsBoundTheAmount() throws {
        let text = """
            permit (principal == BankA::User::"\(SeedFigures.user)", action == BankA::Action::"initiate", resource is Creditor)
            when { context.instructedAmount.currency == "EUR" };
            """
        let bound = #"context.instructedAmount.amount.lessThanOrEqual(decimal("500.00"))"#
        let granted = try granted(try processor(try profile(conditions: [bound])).grant(entry(text), to: party))
        #expect(try BankFixtures.allows(granted, BankFixtures.payment(amount: "500.00")))
        #expect(try BankFixtures.allows(granted, BankFixtures.payment(amount: "12.00", creditor: BankFixtures.otherCreditor)))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(amount: "500.01")))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(amount: "100.00", currency: "CHF")))
        // Without the AS's bound, the request alone would have allowed any amount.
        #expect(try BankFixtures.allows(text, BankFixtures.payment(amount: "9999.00")))
    }

    @Test func expiryIsAddedAndEnforcedThroughContextNow() throws {
        let details = try AuthorizationDetailsProcessor.parse(SeedFigures.json(SeedFigures.figure2))
        let granted = try granted(
            try processor(try profile(schema: SeedFigures.bankSchemaDeclaringNow, validFor: 600)).grant(details, to: party)
        )
        let report = Validator(schema: try Schema(text: SeedFigures.bankSchemaDeclaringNow), mode: .strict).validate(
            try PolicySet(parsing: granted)
        )
        #expect(report.errors.isEmpty, "the granted set validates against the type's schema: \(report.errors)")
        #expect(granted.contains(#"context.now < datetime("2027-01-15T08:10:00.000Z")"#), "\(granted)")
        #expect(try BankFixtures.allows(granted, BankFixtures.payment(), now: Fixtures.epoch.addingTimeInterval(599)))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(), now: Fixtures.epoch.addingTimeInterval(600)))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment()))  // no `now`: the condition errors, so no permit
    }

    /// `valid_for` makes every granted permit test `context.now`: a schema whose actions do not
    /// declare it would make the granted set fail validation at the RS, so the profile is refused.
    @Test func validForNeedsASchemaDeclaringNow() throws {
        let refused = #expect(throws: CedarProfileError.self) { try profile(validFor: 600) }
        #expect(refused?.field == "valid_for")
        #expect(refused?.message.contains(#"BankA::Action::"list_accounts""#) == true, "\(String(describing: refused))")
        let optional = SeedFigures.bankSchemaDeclaringNow.replacingOccurrences(of: "now: datetime }", with: "now?: datetime }")
        #expect(throws: CedarProfileError.self) { try profile(schema: optional, validFor: 600) }
        let wrongType = SeedFigures.bankSchemaDeclaringNow.replacingOccurrences(of: "String, now: datetime", with: "String, now: Long")
        #expect(throws: CedarProfileError.self) { try profile(schema: wrongType, validFor: 600) }
        _ = try profile(schema: SeedFigures.bankSchemaDeclaringNow, validFor: 600)
        _ = try profile(schema: nil, validFor: 600)
        _ = try profile(validFor: nil)
    }

    @Test func principalIsPinnedToTheSubject() throws {
        let text = """
            permit (principal, action == BankA::Action::"initiate", resource == Creditor::"\(BankFixtures.payments)");
            permit (principal in BankA::User::"group", action == BankA::Action::"status", resource == Creditor::"\(BankFixtures.payments)");
            """
        let subject = AuthorizationDetailsProcessor.Party(clientID: "service-a", subject: SeedFigures.user)
        let p = processor(try profile(schema: nil, pin: "BankA::User"))
        let granted = try granted(try p.grant(entry(text), to: subject))
        #expect(granted.contains(#"principal == BankA::User::"\#(SeedFigures.user)""#))
        #expect(try BankFixtures.allows(granted, BankFixtures.payment(amount: "1.00")))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(amount: "1.00", user: "mallory")))
        // `principal in group` is kept as a condition: the user is not in the group, so status stays denied.
        #expect(granted.contains(#"when { principal in BankA::User::"group" }"#), "\(granted)")
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(action: "status")))

        let other = #"permit (principal == BankA::User::"mallory", action == BankA::Action::"initiate", resource);"#
        do {
            _ = try p.grant(entry(other), to: subject)
            Issue.record("a principal other than the subject was granted")
        } catch {
            #expect(
                error.message
                    == #"authorization_details[0].policySet: the policy at line 1, column 1 names principal BankA::User::"mallory", but this token's subject is BankA::User::"\#(SeedFigures.user)""#
            )
        }
    }

    @Test func forbidPoliciesAreKeptAsAsked() throws {
        let text = """
            permit (principal, action in [BankA::Action::"initiate", BankA::Action::"status"], resource is Creditor);
            forbid (principal, action, resource) when { context.instructedAmount.currency == "USD" };
            """
        let granted = try granted(try processor(try profile(schema: nil)).grant(entry(text), to: party))
        #expect(granted.contains("forbid"))
        #expect(try BankFixtures.allows(granted, BankFixtures.payment(amount: "7.00")))
        #expect(try !BankFixtures.allows(granted, BankFixtures.payment(currency: "USD")))
    }

    @Test func refreshMayOnlyNarrowCedarEntries() throws {
        let details = try AuthorizationDetailsProcessor.parse(SeedFigures.json(SeedFigures.figure3))
        let p = processor(try profile())
        let grant = try p.grant(details, to: party)
        // Asking again for exactly the granted payment policy: fine (a subset of the grant).
        let again = [grant[1]]
        #expect(try p.narrow(again, within: grant) == again)
        // Asking for the original (wider) request: refused.
        do {
            _ = try p.narrow(details, within: grant)
            Issue.record("a refresh widened the grant")
        } catch {
            #expect(
                error.message
                    == "authorization_details[0]: asks for policies the grant does not hold (a derived token may only narrow its parent)"
            )
        }
    }

    @Test func profileConfigurationErrorsNameTheField() {
        #expect(throws: CedarProfileError(field: "policies", "")) { try profile(delegation: "permit(") }
        #expect(throws: CedarProfileError(field: "schema", "")) { try profile(schema: "entity ;") }
        #expect(throws: CedarProfileError(field: "conditions[0]", "")) {
            try profile(conditions: ["true }; permit(principal, action, resource) when { true"])
        }
        #expect(throws: CedarProfileError(field: "pin_principal", "")) { try profile(pin: "not a type!") }
    }
}
