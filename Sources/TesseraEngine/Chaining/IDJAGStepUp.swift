import Foundation
import TesseraProtocol

/// The IdP's step-up rule for ID-JAGs (draft-ietf-oauth-identity-assertion-authz-grant §4.3.3,
/// `step-up` branch; RFC 9470 §3): when a peer's `id_jag.step_up` asks for a fresher or stronger
/// sign-in than the ID token shows, the exchange is refused with `insufficient_user_authentication`
/// and the `acr_values` / `max_age` a new sign-in must satisfy. It is asked only after everything a
/// new sign-in could not change (audience, resources, subject token, policy) has passed, so the
/// error is sent only when a fresh or stronger sign-in would succeed; otherwise the ordinary
/// `invalid_target` / `invalid_scope` / `invalid_grant` stands.
enum IDJAGStepUp {
    /// Checks the ID token's `auth_time` against `max_age` and its `acr` against `acr_values`.
    /// - Parameters:
    ///   - requirement: the peer's `step_up`.
    ///   - identity: the validated ID token's claims.
    ///   - now: the current time.
    /// - Throws: ``OAuthError`` `insufficient_user_authentication` carrying `requirement`.
    static func check(_ requirement: AuthenticationRequirement, identity: JWTClaimSet, now: Date) throws(OAuthError) {
        if let maxAge = requirement.maxAge {
            guard let authTime = identity.numericDate("auth_time") else {
                throw .insufficientUserAuthentication(
                    "the ID token does not say when the person signed in (no 'auth_time'); a sign-in within \(maxAge) s is required",
                    requirement: requirement
                )
            }
            guard now.timeIntervalSince1970 - Double(authTime) <= Double(maxAge) else {
                throw .insufficientUserAuthentication(
                    "the person signed in more than \(maxAge) s ago; sign in again (max_age)",
                    requirement: requirement
                )
            }
        }
        if !requirement.acrValues.isEmpty {
            guard let acr = identity.string("acr"), requirement.acrValues.contains(acr) else {
                throw .insufficientUserAuthentication(
                    "the person's sign-in is not of a required authentication context class (acr_values)",
                    requirement: requirement
                )
            }
        }
    }
}
