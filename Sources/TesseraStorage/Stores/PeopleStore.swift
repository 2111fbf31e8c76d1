public import Foundation

/// People who sign in to the AS's pages, and their browser sessions.
public protocol PeopleStore: Sendable {
    /// Adds the user, or replaces the password hash and display name of an existing one. A changed hash ends the
    /// person's sessions in the same transaction (J15): whoever signed in with the old password is signed out.
    func upsertUser(_ user: UserRecord) async throws
    func user(username: String) async throws -> UserRecord?
    func users() async throws -> [UserRecord]
    /// Removes the user and, in the same transaction, ends their sessions, withdraws their consents (as
    /// ``AuthorizationCodeStore/withdrawConsent(id:subject:at:)``), finalizes the GNAP grants they approved or are asked
    /// for, revoking every token of those grants and of the grants derived from them (``TokenStore/revokeGrant(id:at:)``),
    /// and remembers the name as removed (``removedAt(username:)``): nothing the person approved outlives them, and
    /// nobody given the name later inherits it (OpenID Connect Core §2, `sub` never reassigned; RFC 9635 §1.5; J8).
    /// - Returns: whether the user existed; `false` changes nothing.
    func removeUser(username: String, at now: Date) async throws -> Bool
    /// When the person with this username was last removed, or `nil` when never.
    func removedAt(username: String) async throws -> Date?

    func createSession(_ session: SessionRecord) async throws
    /// Creates a session that holds no user yet (a sign-in form's CSRF token), keeping such sessions bounded:
    /// in one transaction, expired anonymous sessions are deleted and, when `limit` live ones remain, the
    /// oldest are deleted to make room. Anyone can create these with a GET, so without the bound they would
    /// be unbounded rows (docs/ROBUSTNESS.md, "Sign-in").
    func createAnonymousSession(_ session: SessionRecord, limit: Int, at now: Date) async throws
    /// Live sessions that hold no user, at `now`.
    func anonymousSessionCount(at now: Date) async throws -> Int
    /// The session with this identifier hash, if it has not expired at `now`.
    func session(idHash: String, at now: Date) async throws -> SessionRecord?
    func deleteSession(idHash: String) async throws
    /// Deletes sessions that expired before `cutoff`. - Returns: how many.
    func deleteExpiredSessions(before cutoff: Date) async throws -> Int
}

/// GNAP interactions (RFC 9635 §4). Every transition is a compare-and-swap, so an interaction is
/// decided once and its `interact_ref` is accepted once.
public protocol GNAPInteractionStore: Sendable {
    func createInteraction(_ interaction: GNAPInteractionRecord) async throws
    func interaction(id: String) async throws -> GNAPInteractionRecord?
    /// The interaction whose normalised user code is `userCode`.
    func interaction(userCode: String) async throws -> GNAPInteractionRecord?
    func interaction(grantID: String) async throws -> GNAPInteractionRecord?
    /// Removes the grant's interaction, whatever its state, and stores `interaction` (when given) in
    /// its place, in one transaction — a grant modified while its consent page is open (RFC 9635
    /// §5.3) cancels that page: a decision on it then finds no waiting interaction.
    func replaceInteraction(grantID: String, with interaction: GNAPInteractionRecord?) async throws
    /// Applies a resource owner's decision in one transaction: the interaction moves `waiting` →
    /// `finished` with the `interact_ref` hash, and its grant `pending` → `approved` (subject, narrowed
    /// request) or `denied`. - Returns: `false`, changing nothing, when the interaction is not waiting,
    /// has expired at `now`, or its grant is not pending.
    func decide(interactionID: String, _ decision: GNAPInteractionDecision, at now: Date) async throws -> Bool
    // An `interact_ref` is spent together with the grant update it pays for:
    // GNAPStore.updateGrant(_:expectedContinuationHash:expectedState:issued:consumingInteractRef:).
    /// Deletes interactions that expired before `cutoff`. - Returns: how many.
    func deleteExpiredInteractions(before cutoff: Date) async throws -> Int
}
