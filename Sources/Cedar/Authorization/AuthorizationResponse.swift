/// A policy whose evaluation failed; the authorizer skipped it (digest §7, "skip on error").
public struct PolicyEvaluationFailure: Sendable, Hashable {
    /// The id of the policy that failed.
    public let policyID: String
    /// What went wrong.
    public let error: EvaluationError
}

/// The authorizer's answer: the decision, the determining policies and the erroring policies.
public struct AuthorizationResponse: Sendable, Hashable {
    /// Why the decision was made.
    public struct Diagnostics: Sendable, Hashable {
        /// Determining policies: the satisfied permits on allow, the satisfied forbids on deny.
        public let reasons: Set<String>
        /// One entry per policy that errored (of either effect), sorted by policy id.
        public let errors: [PolicyEvaluationFailure]
    }

    /// Allow or deny.
    public let decision: Decision

    /// The outcome of authorizing a request.
    public enum Decision: String, Sendable, Hashable {
        /// At least one permit was satisfied and no forbid.
        case allow
        /// Otherwise (default deny, or a satisfied forbid).
        case deny
    }
    /// Reasons and errors.
    public let diagnostics: Diagnostics
}
