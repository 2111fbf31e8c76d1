import Cedar
import TesseraEngine
import TesseraProtocol
import Testing

/// Cedar skips an erroring policy; Tessera's own decisions treat an erroring `forbid` as a refusal.
@Suite struct EnginePolicyFailClosedTests {
    @Test func chainingPolicyRefusesAScopeWhenAForbidErrors() throws {
        let policy = try ChainingPolicy(
            text: """
                permit (principal, action, resource);
                forbid (principal, action, resource) when { context.claims.department == "contractors" };
                """,
            source: "test"
        )
        #expect(policy.permits(peer: "b", scope: "read", context: ["claims": .object(["department": .string("staff")])]))
        #expect(!policy.permits(peer: "b", scope: "read", context: ["claims": .object(["department": .string("contractors")])]))
        #expect(
            !policy.permits(peer: "b", scope: "read", context: ["claims": .object([:])]),
            "a forbid that cannot be evaluated must not fail open"
        )
    }

    @Test func challengePolicyRefusesWhenAForbidErrors() throws {
        let policy = try ClientChallengePolicy(text: #"forbid (principal, action, resource) when { context.no_such_key > 1 };"#)
        let verdict = policy.evaluate(
            clientID: "c",
            issuer: "https://as.example",
            context: ["grant_type": .string("client_credentials")],
            satisfied: []
        )
        guard case .deny(let reason) = verdict else {
            Issue.record("expected a refusal, got \(verdict)")
            return
        }
        #expect(reason.contains("could not be evaluated"))
        let annotated = try ClientChallengePolicy(
            text: #"@challenge("urn:x") forbid (principal, action, resource) when { context.no_such_key > 1 };"#
        )
        #expect(
            annotated.evaluate(clientID: "c", issuer: "https://as.example", context: [:], satisfied: ["urn:x"]) != .permit,
            "even an annotated forbid that errors refuses: evidence cannot satisfy a rule that was not evaluated"
        )
    }
}
