public import Foundation

/// Authorization requests (pushed or pending) and authorization codes (RFC 6749 §4.1, RFC 9126).
/// Every use is a compare-and-swap, so a `request_uri`, a pending request and a code are each
/// accepted once.
public protocol AuthorizationCodeStore: Sendable {
    func createRequest(_ request: AuthorizationRequestRecord) async throws
    /// The unused, unexpired request with this identifier hash, without using it (the consent page).
    func request(idHash: String, at now: Date) async throws -> AuthorizationRequestRecord?
    /// Marks the request used and returns it. - Returns: `nil`, changing nothing, when it is unknown,
    /// already used or expired at `now`.
    func consumeRequest(idHash: String, at now: Date) async throws -> AuthorizationRequestRecord?
    func createCode(_ code: AuthorizationCodeRecord) async throws
    /// The unused, unexpired code with this hash, without using it (the client-challenge policy judges its
    /// rights before it is redeemed, so a challenge leaves it usable for the retry).
    func code(hash: String, at now: Date) async throws -> AuthorizationCodeRecord?
    /// Marks the code used. A used code answers ``CodeRedemption/replayed(_:)``.
    func redeemCode(hash: String, at now: Date) async throws -> CodeRedemption
    /// Deletes requests and codes that expired before `cutoff`. - Returns: how many.
    func deleteExpiredAuthorizations(before cutoff: Date) async throws -> Int

    // MARK: Remembered consent (migration 0010)

    func createConsent(_ consent: ConsentRecord) async throws
    /// The person's consents that are not withdrawn, newest first.
    func consents(subject: String) async throws -> [ConsentRecord]
    /// Records that the grant (token family) `grantID` was issued under the consent `consentID`.
    func linkConsent(id consentID: String, grantID: String) async throws
    /// Marks the consent withdrawn, only when it belongs to `subject` and is not withdrawn yet.
    /// - Returns: the grant identifiers issued under it (to revoke), or `nil`, changing nothing,
    ///   when there is no such consent for this subject.
    func withdrawConsent(id: String, subject: String, at now: Date) async throws -> [String]?
}
