import Cedar
import TesseraProtocol

/// The owner's own policy set (`policy:` in the configuration, docs/policy.md): parsed and
/// validated against ``PolicyVocabulary`` once, when the configuration is loaded. A set that does
/// not parse or validate is refused as a whole — the server does not start with it — so no
/// request is ever decided by half an owner's intent.
public struct OwnerPolicy: Sendable {
    /// Where the text came from (the file name), for messages and `tessera policy show`.
    public let source: String
    /// The policy text as written.
    public let text: String
    /// Whether the shipped defaults still apply beside the owner's set (`policy.defaults`).
    public let includesDefaults: Bool
    /// Policies that validate but can never apply (Cedar's `impossiblePolicy` warning), one line each with
    /// `file:line:column` and the policy id: a misspelled `has` that silently disables a rule. Printed by
    /// `tessera policy check` and logged at start; they do not stop the server.
    public let warnings: [String]
    let policies: PolicySet

    /// Parses and validates (strict mode) an owner's policy set.
    /// - Parameters:
    ///   - text: Cedar policy text.
    ///   - source: the file name, used in every message.
    ///   - includesDefaults: `false` replaces the shipped defaults instead of adding to them.
    /// - Throws: ``OwnerPolicyError`` listing every problem with `file:line:column`, or for text not in Unicode
    ///   Normalization Form C.
    public init(text: String, source: String, includesDefaults: Bool = true) throws(OwnerPolicyError) {
        // Cedar compares strings as bytes and requests are held to NFC (UnicodeNFC): a literal in another form would
        // name a string no request carries, so a `forbid` written with it would silently never apply.
        guard UnicodeNFC.isNormalized(text) else {
            throw OwnerPolicyError(problems: ["\(source): the policy text \(UnicodeNFC.rule); save it in NFC"])
        }
        let set: PolicySet
        do { set = try PolicySet(parsing: text, filename: source) } catch {
            throw OwnerPolicyError(problems: error.diagnostics.map(\.description))
        }
        guard set.isNFC else {
            throw OwnerPolicyError(problems: ["\(source): a string literal, read with its escapes, \(UnicodeNFC.rule); write it in NFC"])
        }
        if let template = set.templates.first {
            let place = template.location.map { "\(source):\($0): " } ?? "\(source): "
            throw OwnerPolicyError(problems: [place + "a template (?principal, ?resource) is never evaluated; write a static policy"])
        }
        guard let schema = PolicyVocabulary.schema else {
            throw OwnerPolicyError(problems: ["the built-in vocabulary schema does not parse; no owner policy can be checked"])
        }
        let report = Validator(schema: schema, mode: .strict).validate(set)
        func line(_ problem: PolicyValidationError) -> String { problem.diagnostic(source: source, in: set) }  // the one formatter
        guard report.isValid else { throw OwnerPolicyError(problems: report.errors.map(line)) }
        self.source = source
        self.text = text
        self.includesDefaults = includesDefaults
        self.warnings = report.warnings.map(line)
        self.policies = set
    }
}

/// Why an owner's policy set was refused: every problem, one line each, with `file:line:column`.
public struct OwnerPolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    public let problems: [String]

    public var description: String { problems.joined(separator: "\n") }
}
