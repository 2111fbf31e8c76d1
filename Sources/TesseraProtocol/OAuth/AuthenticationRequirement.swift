/// What a fresh or stronger sign-in must show for a refused request to succeed: the members RFC 9470
/// §3 adds to its `insufficient_user_authentication` error, which the ID-JAG draft's step-up text
/// (draft-ietf-oauth-identity-assertion-authz-grant, `step-up` branch) carries into token responses.
public struct AuthenticationRequirement: Sendable, Hashable, Codable {
    /// Acceptable authentication context class references (`acr_values`, RFC 9470 §3), in order of preference.
    public var acrValues: [String]
    /// The longest time, in seconds, since the person last signed in (`max_age`, RFC 9470 §3).
    public var maxAge: Int?

    /// - Parameters:
    ///   - acrValues: the acceptable `acr` values; empty = any.
    ///   - maxAge: the longest age of the sign-in in seconds; `nil` = any.
    public init(acrValues: [String] = [], maxAge: Int? = nil) {
        self.acrValues = acrValues
        self.maxAge = maxAge
    }
}

extension OAuthError.Code {
    /// RFC 9470 §3 — the person's authentication is too old or too weak; extended to token
    /// responses by the ID-JAG draft (step-up), with `acr_values` and `max_age`.
    public static let insufficientUserAuthentication: Self = "insufficient_user_authentication"
}

extension OAuthError {
    /// RFC 9470 §3 `insufficient_user_authentication` with what a new sign-in must satisfy.
    /// - Parameters:
    ///   - message: the `error_description`.
    ///   - requirement: sent as `acr_values` (space-separated) and `max_age`.
    /// - Returns: The error.
    public static func insufficientUserAuthentication(_ message: String, requirement: AuthenticationRequirement) -> Self {
        Self(.insufficientUserAuthentication, message, requirement: requirement)
    }
}
