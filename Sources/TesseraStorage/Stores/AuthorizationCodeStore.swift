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
    /// Creates the code and records that its grant (token family) is issued under the consent `consentID`, in one
    /// transaction, only while the consent is not withdrawn: a withdrawal either finds the code (and spends it) or
    /// comes first and no code is created (thirteenth review, J5).
    /// - Returns: `false`, creating nothing, when the consent is withdrawn or unknown.
    func createCode(_ code: AuthorizationCodeRecord, underConsent consentID: String) async throws -> Bool
    /// Marks the consent withdrawn, only when it belongs to `subject` and is not withdrawn yet, and in the same
    /// transaction spends the codes issued under it and revokes every token of its grants (and of the grants derived
    /// from them, ``TokenStore/revokeGrant(id:at:)``): no redemption can land between the two (J5).
    /// - Returns: the grant identifiers issued under it, or `nil`, changing nothing,
    ///   when there is no such consent for this subject.
    func withdrawConsent(id: String, subject: String, at now: Date) async throws -> [String]?
}
