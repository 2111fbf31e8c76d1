extension AuthorizationResponse {
    /// The answer as JSON: `{"decision": "allow"|"deny", "reasons": [ids], "errors": [{"policy", "code", "message"}]}`.
    ///
    /// Erroring policies were skipped (skip-on-error, digest §7); callers who want to fail
    /// closed must inspect `errors`.
    public func jsonString(pretty: Bool = true) -> String {
        let errors: [JSONValue] = diagnostics.errors.map {
            .object([
                "policy": .string($0.policyID), "code": .string($0.error.code.description), "message": .string($0.error.message),
            ])
        }
        let doc = JSONValue.object([
            "decision": .string(decision.rawValue),
            "reasons": .array(diagnostics.reasons.sorted().map { .string($0) }),
            "errors": .array(errors),
        ])
        return JSONWriter.write(doc, pretty: pretty)
    }
}
