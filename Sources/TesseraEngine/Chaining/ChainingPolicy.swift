import Cedar

/// A chaining policy file (`chaining.policy_file`, `chaining.id_jag_policy_file`) as written, in its
/// old vocabulary. It is not evaluated on its own: the engine translates it into the one
/// vocabulary (``PolicyTranslation``) and the one decision point decides (docs/policy.md).
public struct ChainingPolicy: Sendable {
    /// The Cedar text as written.
    public let text: String
    /// Where the policy came from (the file name, the translated policies' source).
    public let source: String

    /// - Parameters:
    ///   - text: the file's Cedar text.
    ///   - source: its name.
    /// - Throws: ``ChainingPolicyError`` with the parser's message when the text is not valid Cedar.
    public init(text: String, source: String) throws(ChainingPolicyError) {
        do { _ = try PolicySet(parsing: text, filename: source) } catch { throw ChainingPolicyError(message: error.description) }
        self.text = text
        self.source = source
    }

    /// The file in the one vocabulary, or a set that forbids everything when it cannot be translated
    /// (fails closed; the configuration check refuses such a file at start-up).
    /// - Parameter role: which old vocabulary the file is written in.
    /// - Returns: the translated layer.
    public func translated(as role: PolicyTranslation.Role) -> TranslatedPolicies {
        .orForbidAll(text: text, source: source, role: role)
    }
}

/// A chaining policy that does not parse.
public struct ChainingPolicyError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
