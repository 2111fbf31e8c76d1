import TesseraProtocol

/// The check of one kind of ``Evidence`` (RFC 6749 §4–6 grants, RFC 8693, RFC 7523), behind
/// ``GrantEngine/answer(_:from:)``. Runs after the client was authenticated, found entitled to the
/// evidence's grant type and admitted; decides, narrows and issues, and returns the token set only
/// once its state is stored. Refusals are thrown as ``OAuthError`` and read as a ``Refusal``.
protocol EvidenceHandler: Sendable {
    /// The grant type a client must be registered for to present this evidence.
    var grantType: GrantType { get }
    func handle(_ request: AccessRequest, client: AuthenticatedClient, key: ProvenKey?, context: GrantContext) async throws -> TokenResponse
    /// The rights a token answering `request` would carry, read without spending anything (a code stays
    /// unredeemed, a refresh token unrotated), for the client-challenge policy (docs/client-challenge.md).
    func challengedRights(
        _ request: AccessRequest,
        client: AuthenticatedClient,
        key: ProvenKey?,
        context: GrantContext
    ) async throws -> ChallengedRights
}
