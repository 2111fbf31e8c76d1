import Testing

@testable import Cedar

/// The plain-language explanation of policies (issue 21, item 1): the seed's figures read as
/// sentences, arbitrary expressions stay code, and a random policy's explanation names exactly the
/// constants and actions of the policy.
@Suite struct PolicyExplainerTests {
    /// The seed's bank schema (SeedFigures.bankSchemaDeclaringNow) with display names (docs/cedar.md).
    static let schemaText = """
        @label("bank")
        entity BankA;
        @label("creditor")
        entity Creditor = {
          @label("name")
          creditorName: String,
          @label("account")
          creditorAccount: { @label("BIC") bic: String, @label("IBAN") iban: String },
        };
        namespace BankA {
          @label("user")
          entity User;
          type Amount = { currency: String, amount: decimal };
          type PaymentContext = {
            @label("amount") instructedAmount: Amount,
            @label("reference") remittanceInformationUnstructured: String,
            @doc("the current time") now: datetime,
          };
          @label("initiate the payment") action initiate appliesTo { principal: User, resource: Creditor, context: PaymentContext };
          @label("check its status") action status appliesTo { principal: User, resource: Creditor, context: PaymentContext };
          @label("cancel it") action cancel appliesTo { principal: User, resource: Creditor, context: PaymentContext };
          @label("list the accounts") action list_accounts appliesTo { principal: User, resource: BankA, context: { now: datetime } };
          @label("read the balances") action read_balances appliesTo { principal: User, resource: BankA, context: { now: datetime } };
          @label("read the transactions") action read_transactions appliesTo { principal: User, resource: BankA, context: { now: datetime } };
        }
        """

    static let schema: Schema = {
        do { return try Schema(parsing: schemaText) } catch { fatalError("\(error)") }
    }()

    static let user = "696d28c8-8912-41d2-b182-aa7087323318"

    /// Figure 1's policy set (draft-cecchetti-oauth-rar-cedar-02), as SeedFigures has it.
    static let figure1 = """
        permit (
          principal == BankA::User::"696d28c8-8912-41d2-b182-aa7087323318",
          action == BankA::Action::"initiate",
          resource == Creditor::"https://example.com/payments"
        ) when {
          context.instructedAmount.currency == "EUR" &&
          context.instructedAmount.amount == decimal("123.50") &&
          resource.creditorName == "Merchant A" &&
          resource.creditorAccount.bic == "ABCIDEFFXXX" &&
          resource.creditorAccount.iban == "DE02100100109307118603" &&
          context.remittanceInformationUnstructured == "Ref Number Merchant"
        };
        """

    /// Figure 2's policy set (also Figure 3's second entry and Figure 4's).
    static let figure2 = """
        permit (
          principal == BankA::User::"696d28c8-8912-41d2-b182-aa7087323318",
          action in [BankA::Action::"initiate", BankA::Action::"status", BankA::Action::"cancel"],
          resource == Creditor::"https://example.com/payments"
        ) when {
          context.instructedAmount.currency == "EUR" &&
          context.instructedAmount.amount == decimal("123.50") &&
          resource.creditorName == "Merchant A" &&
          resource.creditorAccount.iban == "DE02100100109307118603" &&
          context.remittanceInformationUnstructured == "Ref Number Merchant"
        };
        """

    /// Figure 3's first entry.
    static let figure3Accounts = """
        permit (
          principal == BankA::User::"696d28c8-8912-41d2-b182-aa7087323318",
          action in [BankA::Action::"list_accounts", BankA::Action::"read_balances", BankA::Action::"read_transactions"],
          resource == BankA::"https://example.com/accounts"
        );
        """

    static func explain(_ text: String, schema: Schema? = PolicyExplainerTests.schema) throws -> [PolicyExplanation] {
        PolicyExplainer(schema: schema).explain(try PolicySet(parsing: text))
    }

    @Test func figure1ReadsAsOnePayment() throws {
        let e = try #require(try Self.explain(Self.figure1).first)
        #expect(e.effect == .permit)
        #expect(e.sentence == #"User "\#(Self.user)" may initiate the payment on creditor "https://example.com/payments""#)
        #expect(
            e.conditions == [
                .text("the amount is exactly 123.50 EUR"),
                .text(#"the name of the creditor is "Merchant A""#),
                .text(#"the BIC of the account of the creditor is "ABCIDEFFXXX""#),
                .text("the IBAN of the account of the creditor is DE02 1001 0010 9307 1186 03"),
                .text(#"the reference is "Ref Number Merchant""#),
            ]
        )
        #expect(e.exceptions.isEmpty && !e.hasCode)
        #expect(e.actions == [EntityUID(type: EntityType("BankA::Action"), id: "initiate")])
    }

    @Test func figure2ListsTheThreeActionsAndTheWholeText() throws {
        let text = PolicyExplanation.text(try Self.explain(Self.figure2))
        #expect(
            text == """
                policy0 (permit): User "\(Self.user)" may initiate the payment, check its status or cancel it on creditor "https://example.com/payments",
                  only if all of these hold:
                  - the amount is exactly 123.50 EUR
                  - the name of the creditor is "Merchant A"
                  - the IBAN of the account of the creditor is DE02 1001 0010 9307 1186 03
                  - the reference is "Ref Number Merchant"

                """
        )
    }

    @Test func figure3ExplainsBothEntries() throws {
        let accounts = try #require(try Self.explain(Self.figure3Accounts).first)
        #expect(
            accounts.text
                == #"policy0 (permit): User "\#(Self.user)" may list the accounts, read the balances or read the transactions on bank "https://example.com/accounts"."#
        )
        #expect(accounts.conditions.isEmpty)
        #expect(try Self.explain(Self.figure2) == (try Self.explain(Self.figure2)))
    }

    /// The AS's expiry (`valid_for`) and an added limit in another `when` block still read as
    /// one amount and a time.
    @Test func anExpiryAndALimitFromTheASAreSentences() throws {
        let e = try #require(
            try Self.explain(
                """
                permit (principal == BankA::User::"u", action == BankA::Action::"initiate", resource == Creditor::"c")
                when { context.instructedAmount.currency == "EUR" }
                when { context.instructedAmount.amount.lessThanOrEqual(decimal("1000.00")) }
                when { context.now < datetime("2026-12-06T18:00:00Z") };
                """
            ).first
        )
        #expect(e.conditions == [.text("the amount is at most 1000.00 EUR"), .text("until 6 December 2026, 18:00 UTC")])
    }

    /// An exact amount the client asked for and the limit the AS adds share the one currency
    /// condition: both read with it (the consent page's narrowing showed "the amount of the amount
    /// is at most 1000.00" before).
    @Test(.bug(id: "21", "the consent page's narrowing")) func anExactAmountAndAnAddedLimitBothReadWithTheirCurrency() throws {
        let e = try #require(
            try Self.explain(
                """
                permit (principal == BankA::User::"u", action == BankA::Action::"initiate", resource == Creditor::"c")
                when { context.instructedAmount.currency == "EUR" && context.instructedAmount.amount == decimal("123.50") }
                when { context.instructedAmount.amount.lessThanOrEqual(decimal("1000.00")) };
                """
            ).first
        )
        #expect(e.conditions == [.text("the amount is exactly 123.50 EUR"), .text("the amount is at most 1000.00 EUR")])
        #expect(!e.hasCode)
    }

    @Test func unconstrainedScopesAreSaidAndForbidsAndUnlessAreExceptions() throws {
        let all = try Self.explain(
            """
            permit (principal, action, resource);
            forbid (principal, action == BankA::Action::"cancel", resource is Creditor)
            unless { resource.creditorName == "Merchant A" };
            """
        )
        #expect(all[0].sentence == "Anyone may do any action on any resource")
        #expect(all[0].actions.isEmpty)
        #expect(all[1].effect == .forbid)
        #expect(all[1].sentence == "No one may cancel it on any creditor")
        #expect(all[1].exceptions == [[.text(#"the name of the creditor is "Merchant A""#)]])
        #expect(all[1].text.contains("except when:"))
    }

    /// A clause with no recognized shape is shown as the formatter prints it, and its constants
    /// are still listed: the explanation never claims less than the policy permits.
    @Test func anUnrecognizedExpressionIsShownAsCode() throws {
        let e = try #require(
            try Self.explain(
                """
                permit (principal == BankA::User::"u", action == BankA::Action::"initiate", resource == Creditor::"c")
                when { resource.creditorName == "Merchant A" && (context.remittanceInformationUnstructured like "*x*" || context.instructedAmount.amount.greaterThan(decimal("5.00"))) };
                """
            ).first
        )
        #expect(e.conditions.first == .text(#"the name of the creditor is "Merchant A""#))
        #expect(
            e.conditions.last
                == .code(
                    #"context.remittanceInformationUnstructured like "*x*" || context.instructedAmount.amount.greaterThan(decimal("5.00"))"#
                )
        )
        #expect(e.hasCode)
        // A comparison method applied to a datetime is a type error, not a time limit.
        let method = try #require(
            try Self.explain(#"permit (principal, action, resource) when { context.now.lessThan(datetime("2026-12-06")) };"#).first
        )
        #expect(method.conditions == [.code(#"context.now.lessThan(datetime("2026-12-06"))"#)])
        #expect(e.text.contains("as Cedar code (not put into words): context.remittanceInformationUnstructured like"))
        #expect(Set(e.constants.map(\.cedar)).isSuperset(of: [#""*x*""#, #"decimal("5.00")"#]))
    }

    /// Without a schema the identifiers are split into words; `@doc` is a label when short.
    @Test func withoutASchemaIdentifiersBecomeWords() throws {
        let e = try #require(try Self.explain(Self.figure2, schema: nil).first)
        // Without the schema's action groups, `action in [A]` may also cover actions in A: said.
        #expect(
            e.sentence.hasPrefix(
                #"User "\#(Self.user)" may initiate (or any action in it), status (or any action in it) or cancel (or any action in it) on creditor"#
            )
        )
        #expect(e.conditions.contains(.text(#"the remittance information unstructured is "Ref Number Merchant""#)))
        #expect(e.conditions.contains(.text("the instructed amount is exactly 123.50 EUR")))
        #expect(SchemaLabels.label(["doc": "the current time"], fallback: "now") == "the current time")
        #expect(SchemaLabels.label(["doc": String(repeating: "long ", count: 20)], fallback: "now") == "now")
    }

    /// Annotations are kept by both schema formats and do not change what a type is.
    @Test func schemaAnnotationsAreKeptInBothFormats() throws {
        let text = try Schema(
            parsing:
                #"@label("person") entity User = { @doc("Full name") name: String }; @label("look") action view appliesTo { principal: User, resource: User };"#
        )
        let json = try Schema(
            json: #"""
                {"": {"entityTypes": {"User": {"annotations": {"label": "person"}, "shape": {"type": "Record", "attributes": {"name": {"type": "String", "annotations": {"doc": "Full name"}}}}}},
                      "actions": {"view": {"annotations": {"label": "look"}, "appliesTo": {"principalTypes": ["User"], "resourceTypes": ["User"]}}}}}
                """#
        )
        for s in [text, json] {
            let user = try #require(s.entityTypes[EntityType("User")])
            #expect(user.annotations == ["label": "person"])
            #expect(user.attributes.annotations["name"] == ["doc": "Full name"])
            #expect(s.actions[EntityUID(type: EntityType("Action"), id: "view")]?.annotations == ["label": "look"])
        }
        #expect(text == json)
        #expect(throws: SchemaError.self) { try Schema(parsing: #"@label("a") @label("b") entity User;"#) }
        let bare = try Schema(parsing: "entity User = { name: String };")
        #expect(bare.entityTypes[EntityType("User")]?.attributes == text.entityTypes[EntityType("User")]?.attributes)
    }
}
