public import Foundation
import TesseraProtocol

/// What an authorization request asks of the person's sign-in and of the pages (OpenID Connect Core
/// §3.1.2.1): `prompt=login` asks for a sign-in made for this request (after it reached this server),
/// `max_age` for one made for this request or no older than it when the page is shown and again when the
/// decision is made (a page left open does not stretch an earlier sign-in), `prompt=consent` for the consent page even under a remembered consent, and
/// `prompt=none` for no page at all (`login_required` / `consent_required` instead, §3.1.2.6).
public struct SignInRequirement: Sendable, Hashable {
    /// The `prompt` values this server acts on, published as `prompt_values_supported` (OpenID Connect
    /// Discovery 1.0 §3); others (`select_account`: one account per session) are accepted and change nothing.
    public static let promptValuesActedOn = [Self.none, Self.login, Self.consent]
    private static let none = "none"
    private static let login = "login"
    private static let consent = "consent"

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
        if values.contains(Self.none), values.count > 1 {
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
    public var showsNoPage: Bool { prompt.contains(Self.none) }
    /// `prompt=consent`: a remembered consent does not answer for the person.
    public var asksForConsent: Bool { prompt.contains(Self.consent) }

    /// Whether a session signed in at `authTime` satisfies the request held at `heldAt`, asked at `now`: for
    /// `prompt=login` it signed in no earlier than the request arrived; for `max_age` it signed in for this
    /// request (after it arrived), or no more than that many seconds before now (OpenID Connect Core §3.1.2.1:
    /// the time elapsed since the last authentication), in whole seconds as `auth_time` states it.
    /// - Parameters:
    ///   - authTime: when the session signed in (its `auth_time`).
    ///   - heldAt: when the request reached this server.
    ///   - now: when the page is shown or the decision made.
    /// - Returns: `false` when the person must sign in again.
    public func isSatisfied(byAuthTime authTime: Date, heldAt: Date, now: Date) -> Bool {
        if prompt.contains(Self.login), authTime < heldAt { return false }
        // A sign-in made for this request is the re-authentication §3.1.2.1 asks for: it satisfies any
        // `max_age`, `0` included, however long the person then takes on the consent page (otherwise a
        // `max_age` shorter than reading the page could never be met). An older one must still be young enough.
        guard let maxAge, authTime < heldAt else { return true }
        let elapsed = now.timeIntervalSince1970.rounded(.down) - authTime.timeIntervalSince1970.rounded(.down)
        return elapsed <= Double(maxAge)
    }
}
