import Foundation
import TesseraTesting
import Testing

/// `tessera cedar validate` run as an operator would: a policy that type-checks but can never apply (Cedar's
/// `impossiblePolicy`, a misspelled `has` member) is printed as a warning with the file, line and column, in the
/// same words as `tessera policy check` (one formatter), and the exit code stays 0.
@Suite struct CedarValidateProcessTests {
    static let schema = """
        entity User;
        entity Document;
        action view appliesTo { principal: User, resource: Document, context: { owner: String } };
        """

    @Test func aPolicyThatCanNeverApplyIsAWarningNotAnError() async throws {
        let dir = try CedarExplainProcessTests.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let schema = try CedarExplainProcessTests.write(Self.schema, "docs.cedarschema", in: dir)
        let policies = try CedarExplainProcessTests.write(
            """
            @id("owners-only")
            forbid (principal, action == Action::"view", resource) unless { context has owner && context.owner == "alice" };

            @id("misspelled")
            forbid (principal, action == Action::"view", resource) when { context has ownr };
            """,
            "docs.cedar",
            in: dir
        )
        let (status, output) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["cedar", "validate", "--schema", schema, "--policies", policies],
            capture: .both
        )
        #expect(status == 0, "\(output)")
        let warnings = output.split(separator: "\n").filter { $0.hasPrefix("warning: ") }
        #expect(warnings == ["warning: \(policies):4:1: policy policy1 @id(\"misspelled\"): \(Self.impossible)"], "\(output)")
        #expect(output.contains("valid, 1 warning(s)"), "\(output)")
    }

    static let impossible = "policy is impossible: the policy expression evaluates to false for all valid requests"
}
