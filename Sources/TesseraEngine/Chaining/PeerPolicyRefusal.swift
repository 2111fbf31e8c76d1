import TesseraProtocol

extension DecisionPoint {
    /// `chaining.policy_file` refused a peer's grant outright (`invalid_scope`) where the rest of policy
    /// narrows it; translated into the one vocabulary, it still does (docs/policy.md).
    /// - Parameters:
    ///   - question: the redemption, with `peer` and `chaining` set.
    ///   - offered: what the grant would yield.
    ///   - file: `chaining.policy_file`'s name (its translated layer's source), `nil` when none is configured.
    /// - Throws: ``OAuthError`` `invalid_scope` when the file alone refuses a right.
    func refusePeerGrant(_ question: AccessQuestion, offered: Scope, file: String?) throws(OAuthError) {
        guard let file else { return }
        var question = question
        question.rights = offered.tokens
        // As before the file was translated: it was asked only of what the rest of policy let through.
        let refused = decide(question).refusals.filter { $0.kind == .right && $0.policies.allSatisfy { $0.source == file } }
        guard refused.isEmpty else { throw OAuthError.invalidScope(AccessDecision(rulings: refused).refusalDescription) }
    }
}
