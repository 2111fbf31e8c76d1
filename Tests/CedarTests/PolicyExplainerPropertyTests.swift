// swift-format-ignore-file: NeverForceUnwrap
// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Testing

@testable import Cedar

/// Random policies in the shapes of the seed's figures (scope, amount and currency, creditor
/// name, IBAN, BIC, reference, expiry, `unless`, forbid, and now and then an expression with no
/// recognized shape): each is explained, and a second reading of the explanation finds exactly the
/// constants and actions the generator put in the policy, each shown in the text.
@Suite struct PolicyExplainerPropertyTests {
    /// SplitMix64: a fixed seed makes every run the same and a failure reproducible.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A generated policy: its text, and what a faithful explanation must mention.
    struct Case {
        var text = ""
        var constants: Set<String> = []
        var shown: [String] = []
        var actions: [EntityUID] = []
        var hasArbitrary = false
    }

    static let payments = ["initiate", "status", "cancel"]
    static let accounts = ["list_accounts", "read_balances", "read_transactions"]

    static func word(_ g: inout Generator) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789-\"\\é")
        return String((0..<Int.random(in: 1...12, using: &g)).map { _ in alphabet.randomElement(using: &g)! })
    }

    static func iban(_ g: inout Generator) -> String {
        let country = ["DE", "FR", "NL", "GB"].randomElement(using: &g)!
        return country + String((0..<Int.random(in: 14...30, using: &g)).map { _ in Character(String(Int.random(in: 0...9, using: &g))) })
    }

    static func generate(_ g: inout Generator) -> Case {
        var c = Case()
        func mention(_ cedar: String, shown: String? = nil) {
            c.constants.insert(cedar)
            c.shown.append(shown ?? cedar)
        }
        let isPayment = Bool.random(using: &g)
        let effect = Int.random(in: 0..<5, using: &g) == 0 ? "forbid" : "permit"
        var principal = "principal"
        if Int.random(in: 0..<4, using: &g) > 0 {
            let uid = #"BankA::User::\#(PolicyFormatter.quote(word(&g)))"#
            principal = "principal == \(uid)"
            mention(uid, shown: String(uid.dropFirst("BankA::User::".count)))
        }
        let pool = isPayment ? payments : accounts
        var action = "action"
        switch Int.random(in: 0..<4, using: &g) {
        case 0: break
        case 1:
            let a = pool.randomElement(using: &g)!
            action = #"action == BankA::Action::"\#(a)""#
            c.actions = [EntityUID(type: EntityType("BankA::Action"), id: CedarString(a))]
        default:
            let chosen = pool.filter { _ in Bool.random(using: &g) }
            let list = chosen.isEmpty ? [pool[0]] : chosen
            action = "action in [" + list.map { #"BankA::Action::"\#($0)""# }.joined(separator: ", ") + "]"
            c.actions = list.map { EntityUID(type: EntityType("BankA::Action"), id: CedarString($0)) }
        }
        var resource = "resource"
        switch Int.random(in: 0..<3, using: &g) {
        case 0: break
        case 1: resource = "resource is \(isPayment ? "Creditor" : "BankA")"
        default:
            let uid = "\(isPayment ? "Creditor" : "BankA")::\(PolicyFormatter.quote("https://example.com/" + word(&g)))"
            resource = "resource == \(uid)"
            mention(uid, shown: String(uid.drop { $0 != "\"" }))
        }
        var clauses: [String] = []
        if isPayment {
            if Bool.random(using: &g) {
                let currency = ["EUR", "USD", "CHF", "eur"].randomElement(using: &g)!
                let amount = "\(Int.random(in: 0...99999, using: &g)).\(Int.random(in: 10...99, using: &g))"
                let op = ["==", "lessThanOrEqual", "lessThan", "greaterThanOrEqual"].randomElement(using: &g)!
                clauses.append(#"context.instructedAmount.currency == "\#(currency)""#)
                clauses.append(
                    op == "=="
                        ? #"context.instructedAmount.amount == decimal("\#(amount)")"#
                        : #"context.instructedAmount.amount.\#(op)(decimal("\#(amount)"))"#
                )
                mention(
                    #""\#(currency)""#,
                    shown: currency == "EUR" || currency == "USD" || currency == "CHF" ? currency : #""\#(currency)""#
                )
                mention(#"decimal("\#(amount)")"#, shown: amount)
            }
            if Bool.random(using: &g) {
                let name = PolicyFormatter.quote(word(&g))
                clauses.append("resource.creditorName \(Bool.random(using: &g) ? "==" : "!=") \(name)")
                mention(name)
            }
            if Bool.random(using: &g) {
                let iban = iban(&g)
                clauses.append(#"resource.creditorAccount.iban == "\#(iban)""#)
                mention(#""\#(iban)""#, shown: PolicyExplainerPropertyTests.grouped(iban))
            }
            if Bool.random(using: &g) {
                let reference = PolicyFormatter.quote(word(&g))
                clauses.append("context.remittanceInformationUnstructured == \(reference)")
                mention(reference)
            }
        }
        if Bool.random(using: &g) {
            let day = Int.random(in: 1...28, using: &g)
            let hour = Int.random(in: 0...23, using: &g)
            let text = "2026-\(Int.random(in: 10...12, using: &g))-\(day < 10 ? "0" : "")\(day)T\(hour < 10 ? "0" : "")\(hour):00:00Z"
            clauses.append(#"context.now < datetime("\#(text)")"#)
            c.constants.insert(#"datetime("\#(text)")"#)
        }
        if Int.random(in: 0..<4, using: &g) == 0 {
            let n = Int.random(in: 1...9, using: &g)
            let s = PolicyFormatter.quote(word(&g))
            clauses.append("(context has missing || [\(n), \(s)].contains(\(n)))")
            c.constants.formUnion([String(n), s])
            c.shown.append(s)
            c.hasArbitrary = true
        }
        c.text = "\(effect) (\(principal), \(action), \(resource))"
        if !clauses.isEmpty { c.text += " when { " + clauses.shuffled(using: &g).joined(separator: " && ") + " }" }
        if isPayment && Bool.random(using: &g) {
            let name = PolicyFormatter.quote(word(&g))
            c.text += " unless { resource.creditorName == \(name) }"
            mention(name)
        }
        c.text += ";"
        return c
    }

    static func grouped(_ s: String) -> String {
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && i % 4 == 0 { out += " " }
            out.append(ch)
        }
        return out
    }

    @Test func everyRandomSeedShapedPolicyIsExplainedAndReadsBackItsConstantsAndActions() throws {
        var g = Generator(state: 0x7E55_E8A0_2026_1206)
        let explainer = PolicyExplainer(schema: PolicyExplainerTests.schema)
        var arbitrary = 0
        for _ in 0..<500 {
            let c = Self.generate(&g)
            let set = try PolicySet(parsing: c.text)
            let explanations = explainer.explain(set)
            try #require(explanations.count == 1, "\(c.text)")
            let e = explanations[0]
            #expect(!e.sentence.isEmpty, "\(c.text)")
            // The second reading: the explained constants and actions are exactly the policy's.
            #expect(Set(e.constants.map(\.cedar)) == c.constants, "\(c.text)\n\(e.text)")
            #expect(e.actions == c.actions, "\(c.text)")
            for constant in e.constants { #expect(e.text.contains(constant.shown), "\(constant) in \(e.text)") }
            for shown in c.shown { #expect(e.text.contains(shown), "\(shown) in \(e.text)") }
            // Only the clause with no recognized shape is code, and it is there.
            #expect(e.hasCode == c.hasArbitrary, "\(c.text)\n\(e.text)")
            if c.hasArbitrary { arbitrary += 1 }
            // Unconstrained scopes are said.
            if c.text.contains("(principal,") { #expect(e.sentence.hasPrefix("Anyone") || e.sentence.hasPrefix("No one")) }
            if c.text.contains(", resource)") { #expect(e.sentence.hasSuffix("any resource")) }
        }
        #expect(arbitrary > 50)
    }
}
