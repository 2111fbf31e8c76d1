import Foundation
import Testing

@testable import Cedar

/// Explanations in another language (issue 21 item 4): the explainer's words come from a phrase
/// catalog (``ExplanationPhrases``; English by default, German shipped) and the schema's display
/// names from `@label_<language>`; what is put into words, what stays code and every constant are
/// the same in every language.
@Suite struct PolicyExplainerLanguageTests {
    /// The test schema of ``PolicyExplainerTests`` with German display names, as
    /// `Examples/BankAPI/bank.cedarschema` has them.
    static let germanLabels: [(String, String)] = [
        (#"@label("bank")"#, "Bank"), (#"@label("creditor")"#, "Gläubiger"), (#"@label("name")"#, "Name"),
        (#"@label("account")"#, "Konto"), (#"@label("user")"#, "Benutzer"), (#"@label("amount")"#, "Betrag"),
        (#"@label("reference")"#, "Verwendungszweck"), (#"@label("initiate the payment")"#, "die Zahlung auslösen"),
        (#"@label("check its status")"#, "ihren Status prüfen"), (#"@label("cancel it")"#, "sie stornieren"),
    ]

    static let schema: Schema = {
        var text = PolicyExplainerTests.schemaText
        for (english, german) in germanLabels { text = text.replacingOccurrences(of: english, with: "\(english) @label_de(\"\(german)\")") }
        do { return try Schema(parsing: text) } catch { fatalError("\(error)") }
    }()

    static let user = PolicyExplainerTests.user

    @Test func figure2ReadsInGerman() throws {
        let set = try PolicySet(parsing: PolicyExplainerTests.figure2)
        let text = PolicyExplanation.text(PolicyExplainer(schema: Self.schema, phrases: .german).explain(set))
        #expect(
            text == """
                policy0 (permit): Benutzer "\(Self.user)" darf die Zahlung auslösen, ihren Status prüfen oder sie stornieren (Ressource: Gläubiger "https://example.com/payments"),
                  nur wenn all dies gilt:
                  - Betrag ist genau 123.50 EUR
                  - Gläubiger › Name ist "Merchant A"
                  - Gläubiger › Konto › IBAN ist DE02 1001 0010 9307 1186 03
                  - Verwendungszweck ist "Ref Number Merchant"

                """
        )
        // English is unchanged by the German labels.
        let english = PolicyExplainer(schema: Self.schema).explain(set)
        #expect(english.first?.conditions.first == .text("the amount is exactly 123.50 EUR"))
    }

    @Test func limitsExpiryExceptionsAndCodeInGerman() throws {
        let text = """
            forbid (principal, action, resource is Creditor) when {
              context.instructedAmount.amount.greaterThan(decimal("1000.00")) && context.instructedAmount.currency == "EUR" &&
              context.now < datetime("2026-12-06T18:00:00Z") && [1, 2].contains(3)
            } unless { resource.creditorName == "Trusted" };
            """
        let e = try #require(PolicyExplainer(schema: Self.schema, phrases: .german).explain(try PolicySet(parsing: text)).first)
        #expect(e.sentence == "Niemand darf jede Aktion ausführen (Ressource: Gläubiger (beliebig))")
        #expect(
            e.conditions == [
                .text("Betrag ist größer als 1000.00 EUR"), .text("bis 6. Dezember 2026, 18:00 UTC"), .code("[1, 2].contains(3)"),
            ]
        )
        #expect(e.exceptions == [[.text(#"Gläubiger › Name ist "Trusted""#)]])
        #expect(e.text.contains("als Cedar-Code (nicht in Worte gefasst): [1, 2].contains(3)"))
        #expect(e.text.contains("außer wenn:"))
    }

    @Test func languagesArePickedByTagAndDeploymentsCanTranslate() throws {
        #expect(ExplanationPhrases.builtIn(for: "de-AT") == .german)
        #expect(ExplanationPhrases.builtIn(for: "fr") == .english)
        let french = try ExplanationPhrases(language: "fr", templates: ["clause.is": "{subject} est {value}"])
        let e = try #require(
            PolicyExplainer(phrases: french).explain(
                try PolicySet(parsing: #"permit(principal, action, resource) when { context.a == "x" };"#)
            )
            .first
        )
        #expect(e.conditions == [.text(#"the a est "x""#)])
        #expect(throws: ExplanationPhrases.Problem.self) { try ExplanationPhrases(language: "fr", templates: ["nope": "x"]) }
        #expect(throws: ExplanationPhrases.Problem.self) {
            try ExplanationPhrases(language: "fr", templates: ["clause.is": "{subject} est"])
        }
    }

    /// The property test of ``PolicyExplainerPropertyTests`` in German: for 500 random seed-shaped
    /// policies the explanation names exactly the policy's constants and actions, shows each one,
    /// and puts into words exactly the clauses English does (the same clauses are code).
    @Test func everyRandomPolicyReadsTheSameInGerman() throws {
        var g = PolicyExplainerPropertyTests.Generator(state: 0x7E55_E8A0_2026_1206)
        let english = PolicyExplainer(schema: Self.schema)
        let german = english.speaking(.german)
        for _ in 0..<500 {
            let c = PolicyExplainerPropertyTests.generate(&g)
            let set = try PolicySet(parsing: c.text)
            let en = try #require(english.explain(set).first)
            let de = try #require(german.explain(set).first)
            #expect(Set(de.constants.map(\.cedar)) == c.constants, "\(c.text)\n\(de.text)")
            #expect(de.actions == c.actions, "\(c.text)")
            for constant in de.constants { #expect(de.text.contains(constant.shown), "\(constant) in \(de.text)") }
            #expect(de.hasCode == c.hasArbitrary, "\(c.text)\n\(de.text)")
            func kinds(_ clauses: [PolicyExplanation.Clause]) -> [String] {
                clauses.map { if case .code(let code) = $0 { code } else { "text" } }
            }
            #expect(kinds(de.conditions) == kinds(en.conditions), "\(c.text)")
            #expect(de.exceptions.map(kinds) == en.exceptions.map(kinds), "\(c.text)")
            #expect(de.text != en.text, "\(c.text)")
        }
    }
}
