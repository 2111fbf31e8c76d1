import Testing

@testable import Cedar

/// Cedar's `impossiblePolicy` warning: a policy that type-checks but whose scope and conditions are the singleton
/// False for every request the schema allows never applies. It is a warning, not an error: the set stays valid.
@Suite struct ValidatorWarningTests {
    static let schema = """
        entity User;
        entity Doc;
        action view appliesTo { principal: User, resource: Doc, context: { trace?: { issuer: String } } };
        """

    static func warnings(_ text: String) throws -> (valid: Bool, warnings: [String]) {
        let report = Validator(schema: try Schema(text: schema)).validate(try PolicySet(parsing: text))
        return (report.isValid, report.warnings.map { "\($0.policyID): \($0.message)" })
    }

    @Test(arguments: [
        // A `has` of a member the closed record does not declare: the misspelling that disables a rule.
        #"forbid (principal, action, resource) when { context has trace && context.trace has iss };"#,
        #"permit (principal, action, resource) when { false };"#,
        #"permit (principal, action, resource) unless { true };"#,
        #"permit (principal, action, resource) when { context has trace } when { 1 == 1 && false };"#,
    ])
    func aPolicyThatCanNeverApplyIsWarnedAbout(_ text: String) throws {
        let result = try Self.warnings(text)
        #expect(result.valid, "a warning does not make the set invalid")
        #expect(result.warnings == ["policy0: " + PolicyValidationError.impossiblePolicy])
    }

    @Test(arguments: [
        #"forbid (principal, action, resource) when { context has trace && context.trace has issuer };"#,
        #"permit (principal, action, resource);"#,
        #"permit (principal, action, resource) unless { false };"#,
        // An error is reported as an error only (as the reference does), never also as a warning.
        #"permit (principal, action, resource) when { context.trace.issuer == 1 && false };"#,
    ])
    func aPolicyThatMayApplyOrIsInvalidHasNoWarning(_ text: String) throws {
        #expect(try Self.warnings(text).warnings.isEmpty)
    }
}
