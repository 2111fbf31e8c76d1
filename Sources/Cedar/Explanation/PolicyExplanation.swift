/// A Cedar policy put into plain language for a person (a consent page, a review): one sentence
/// for the scope, the conditions as readable clauses, and the `unless` blocks as exceptions.
///
/// Built by ``PolicyExplainer``. Every clause is either words or — when the condition cannot be
/// put into words faithfully — the condition itself as Cedar code, so an explanation never claims
/// less than the policy permits.
public struct PolicyExplanation: Hashable, Sendable {
    /// One condition: a readable sentence fragment, or the Cedar expression when it could not be
    /// put into words faithfully.
    public enum Clause: Hashable, Sendable {
        /// The condition in words ("the instructed amount is exactly 123.50 EUR").
        case text(String)
        /// The condition as Cedar code, exactly as ``PolicyFormatter`` prints it.
        case code(String)
    }

    /// A constant the policy mentions: its Cedar form and how the explanation shows it.
    public struct Constant: Hashable, Sendable {
        /// The constant in Cedar syntax: `"EUR"`, `42`, `decimal("123.50")`, `BankA::User::"alice"`.
        public var cedar: String
        /// The text that stands for it in ``PolicyExplanation/text`` (a substring of it).
        public var shown: String
    }

    /// The policy's id (`policy0`, … for parsed text).
    public var policyID: String
    /// `permit` or `forbid`.
    public var effect: Policy.Effect
    /// Who may (or, for `forbid`, may not — "No one may" when anyone is forbidden) do what on what: "User "alice" may initiate a payment on
    /// creditor "https://example.com/payments"". Unconstrained scopes are said explicitly ("Anyone",
    /// "any action", "any resource").
    public var sentence: String
    /// The `when` conditions, one clause per conjunct (`&&`): every one must hold.
    public var conditions: [Clause]
    /// One entry per `unless` block: the policy does not apply when all of its clauses hold.
    public var exceptions: [[Clause]]
    /// The actions the policy's scope names (empty when it applies to any action).
    public var actions: [EntityUID]
    /// Every constant the policy mentions (scope and conditions), without repeats, in order of
    /// appearance. Action ids are in ``actions`` instead. Boolean literals are not listed.
    public var constants: [Constant]
    /// The language of ``text`` (the words of the other members are already in it).
    var phrases: ExplanationPhrases = .english

    /// Whether some clause could only be shown as code.
    public var hasCode: Bool {
        (conditions + exceptions.flatMap { $0 }).contains { if case .code = $0 { true } else { false } }
    }

    /// The explanation as plain text: the sentence, then one line per condition and exception.
    ///
    /// ```
    /// policy0 (permit): User "alice" may initiate a payment on creditor "https://example.com/payments",
    ///   only if all of these hold:
    ///   - the instructed amount is exactly 123.50 EUR
    ///   - as Cedar code (not put into words): context.tags.containsAny(["a", "b"])
    ///   except when:
    ///   - the name of the creditor is "Merchant B"
    /// ```
    public var text: String {
        var out = "\(policyID) (\(effect.rawValue)): \(sentence)"
        if conditions.isEmpty && exceptions.isEmpty { return out + "." }
        if !conditions.isEmpty {
            out += ",\n  " + phrases(effect == .permit ? .textOnlyIf : .textWhen)
            for c in conditions { out += "\n  - " + line(c) }
        }
        if !exceptions.isEmpty {
            out += (conditions.isEmpty ? ",\n  " : "\n  ") + phrases(.textExcept)
            for e in exceptions {
                out += "\n  - " + e.map(line).joined(separator: e.count > 1 ? phrases(.textAnd) : "")
            }
        }
        return out
    }

    /// A clause as a line of ``text``.
    /// - Parameter c: the clause.
    /// - Returns: its words, or its code said to be code.
    func line(_ c: Clause) -> String {
        switch c {
        case .text(let t): t
        case .code(let c): phrases(.textCode, ["code": c])
        }
    }
}

extension PolicyExplanation {
    /// Plain text for a whole set: one block per policy, separated by blank lines.
    public static func text(_ explanations: [PolicyExplanation]) -> String {
        explanations.map(\.text).joined(separator: "\n\n") + (explanations.isEmpty ? "" : "\n")
    }
}
