import Cedar
import TesseraProtocol

extension PolicyTranslation {
    /// Cedar's `impossiblePolicy` warnings for a translated file: a translated policy that validates against the
    /// one vocabulary but can never apply (a rule silently disabled, docs/policy.md), each reported at the
    /// policy of the file it was translated from, with the file's name, line and column and the policy's `@id`.
    /// A file's default-deny forbid is written by the translation, not by a person, and is not reported.
    /// - Parameters:
    ///   - translated: the translated set (its `policyNNNNNN` is the N-th written policy).
    ///   - origins: per written policy, the file's policy it comes from.
    ///   - parsed: the file as parsed.
    ///   - source: the file's name.
    /// - Returns: one line per warning (``Cedar/PolicyValidationError/diagnostic(source:in:)``).
    static func warnings(of translated: PolicySet, origins: [Policy?], parsed: PolicySet, source: String) -> [String] {
        guard let schema = PolicyVocabulary.schema else { return [] }
        return Validator(schema: schema, mode: .strict).validate(translated).warnings.compactMap { warning in
            guard let index = Int(warning.policyID.dropFirst("policy".count)), origins.indices.contains(index),
                let origin = origins[index]
            else { return nil }
            return warning.reported(at: origin).diagnostic(source: source, in: parsed)
        }
    }

    /// Whether a written policy reads `claims` (a grant's or ID token's own claims): present in the context at run
    /// time but open-ended, so the vocabulary does not declare it and the validator would type a `has claims`
    /// test as `false` — an `impossiblePolicy` warning that is not true. Such a policy is not judged by types.
    /// - Parameter policy: the policy in Cedar's JSON policy format.
    /// - Returns: whether any attribute access or `has` test names `claims`.
    static func readsUndeclared(_ policy: JSONValue) -> Bool {
        var stack = [policy]
        while let next = stack.popLast() {
            switch next {
            case .object(let members):
                if members["attr"]?.stringValue == "claims" { return true }
                stack.append(contentsOf: members.values)
            case .array(let items): stack.append(contentsOf: items)
            default: continue
            }
        }
        return false
    }
}
