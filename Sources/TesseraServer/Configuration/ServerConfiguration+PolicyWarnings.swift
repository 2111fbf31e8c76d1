import TesseraEngine

extension ServerConfiguration {
    /// Policies of `chaining.policy_file`, `chaining.id_jag_policy_file` and `client_challenges.policy` that,
    /// translated into the one vocabulary, can never apply (Cedar's `impossiblePolicy`, as for the owner's file):
    /// one line each with the file, line, column and policy id
    /// (``Cedar/PolicyValidationError/diagnostic(source:in:)``). They do not stop the server: `tessera serve`
    /// logs them at start and `tessera policy check --config` prints them, both from here (docs/policy.md).
    package var translatedPolicyWarnings: [String] {
        let challenges = clientChallenges.policy.map {
            TranslatedPolicies.orForbidAll(
                text: $0,
                source: clientChallenges.policyFile ?? "client_challenges.policy",
                role: .clientChallenges
            )
        }
        return (chaining.translatedPolicies + [challenges].compactMap { $0 }).flatMap(\.warnings)
    }
}
