public import Foundation
import TesseraProtocol

/// What an authorization request asks of the person's sign-in and of the pages (OpenID Connect Core
/// §3.1.2.1): `prompt=login` asks for a sign-in made for this request (after it reached this server),
/// `max_age` for one no older than it when the page is shown and again when the decision is made (a page left
/// open does not stretch it), `prompt=consent` for the consent page even under a remembered consent, and
/// `prompt=none` for no page at all (`login_required` / `consent_required` instead, §3.1.2.6).
public struct SignInRequirement: Sendable, Hashable {
    /// `prompt` values this server acts on; others (`select_account`: one account per session) change nothing.
    public var prompt: Set<String>
    public var maxAge: Int?

    /// Parses `prompt` and `max_age` from an authorization request.
    /// - Parameters:
    ///   - prompt: the space-delimited `prompt` value, if any.
    ///   - maxAge: the `max_age` value, if any.
    /// - Throws: ``OAuthError`` `invalid_request` for `none` with another value, or a `max_age` that is not a
    ///   non-negative whole number of seconds.
    init(prompt: String?, maxAge: String?) throws(OAuthError) {
        let values = Set((prompt ?? "").split(separator: " ").map(String.init))
        if values.contains("none"), values.count > 1 {
            throw OAuthError.invalidRequest("prompt=none cannot be combined with other prompt values (OpenID Connect Core §3.1.2.1)")
        }
        self.prompt = values
        guard let maxAge else { return }
        guard maxAge.utf8.count <= 10, maxAge.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let seconds = Int(maxAge) else {
            throw OAuthError.invalidRequest("max_age must be a non-negative number of seconds (OpenID Connect Core §3.1.2.1)")
        }
        self.maxAge = seconds
    }

    /// The requirement a held request carries.
    /// - Parameter request: the validated request.
    public init(_ request: OAuthAuthorizationRequest) {
        (prompt, maxAge) = (Set(request.prompt ?? []), request.maxAge)
    }

    /// `prompt=none`: no sign-in or consent page may be shown.
    public var showsNoPage: Bool { prompt.contains("none") }
    /// `prompt=consent`: a remembered consent does not answer for the person.
    public var asksForConsent: Bool { prompt.contains("consent") }

    /// Whether a session signed in at `authTime` satisfies the request held at `heldAt`, asked at `now`: for
    /// `prompt=login` it signed in no earlier than the request arrived; for `max_age` no more than that many
    /// seconds before now (OpenID Connect Core §3.1.2.1: the time elapsed since the last authentication), in
    /// whole seconds as `auth_time` states it.
    /// - Parameters:
    ///   - authTime: when the session signed in (its `auth_time`).
    ///   - heldAt: when the request reached this server.
    ///   - now: when the page is shown or the decision made.
    /// - Returns: `false` when the person must sign in again.
    public func isSatisfied(byAuthTime authTime: Date, heldAt: Date, now: Date) -> Bool {
        if prompt.contains("login"), authTime < heldAt { return false }
        let elapsed = now.timeIntervalSince1970.rounded(.down) - authTime.timeIntervalSince1970.rounded(.down)
        if let maxAge, elapsed > Double(maxAge) { return false }
        return true
    }
}
