extension PolicyValidationError {
    /// The one line every command and log prints for a validation problem:
    /// `file:line:column: policy <id> @id("<name>"): message in `expr``, the position and the `@id` only when
    /// known, so an operator can find the policy in the file they wrote.
    /// - Parameters:
    ///   - source: the file the policies were read from.
    ///   - set: the set that was validated, for the policy's `@id` annotation.
    /// - Returns: the line, without a trailing newline.
    public func diagnostic(source: String, in set: PolicySet) -> String {
        var line = "\(source):" + (location.map { "\($0): " } ?? " ")
        line += "policy \(policyID)"
        if let name = (set.policies + set.templates).first(where: { $0.id == policyID })?.annotation("id") {
            line += " @id(\"\(name)\")"
        }
        line += ": \(message)"
        if let expression { line += " in `\(expression)`" }
        return line
    }

    /// The same problem reported at another policy: the one a generated policy was written from, so the
    /// message points into the file a person wrote rather than into generated text.
    /// - Parameter policy: the policy to name.
    /// - Returns: the problem with that policy's id and position.
    public func reported(at policy: Policy) -> PolicyValidationError {
        PolicyValidationError(policyID: policy.id, location: policy.location, message: message, expression: expression)
    }
}
