import Crypto
public import Foundation
import TesseraProtocol
public import TesseraStorage

/// People and their browser sessions: sign-in with a password checked by ``PasswordHasher``,
/// server-side sessions whose cookie value is random and stored only as a hash, and a CSRF
/// synchronizer token per session.
public struct PeopleService: Sendable {
    /// How long a signed-in session lasts.
    public static let sessionLifetime: TimeInterval = 8 * 3600
    /// How long a session that only holds a sign-in form's CSRF token lasts.
    public static let anonymousSessionLifetime: TimeInterval = 30 * 60

    /// The most anonymous sessions kept by default (docs/ROBUSTNESS.md, "Sign-in").
    public static let defaultAnonymousSessionLimit = 10_000

    let store: any PeopleStore
    let now: @Sendable () -> Date
    /// Where every sign-in's password hash runs: never on the request's own thread.
    public let hashing: PasswordHashingPool
    /// Anonymous sessions kept at most (oldest dropped first).
    let anonymousSessionLimit: Int

    public init(
        store: any PeopleStore,
        now: @escaping @Sendable () -> Date,
        hashing: PasswordHashingPool = PasswordHashingPool(),
        anonymousSessionLimit: Int = PeopleService.defaultAnonymousSessionLimit
    ) {
        self.store = store
        self.now = now
        self.hashing = hashing
        self.anonymousSessionLimit = max(1, anonymousSessionLimit)
    }

    /// A new or changed user. - Throws: ``UserDefinitionError`` for a bad name or short password.
    public func addUser(username: String, password: String, displayName: String?) async throws {
        try Self.validate(username: username)
        guard password.count >= PasswordHasher.minimumLength else {
            throw UserDefinitionError("the password must be at least \(PasswordHasher.minimumLength) characters")
        }
        // Operator work (start-up, `tessera users add`), not a request: hashed here, at normal priority, so a
        // start-up under load is not slowed by the sign-in pool's lowered priority.
        let hash = try PasswordHasher.hash(password)
        try await store.upsertUser(UserRecord(username: username, passwordHash: hash, displayName: displayName, createdAt: now()))
    }

    /// Refuses to give a removed person's username to a new person unless asked to (`tessera users add --force`): tokens
    /// carry the username as `sub`, which OpenID Connect Core §2 says is never reassigned, so clients would take the
    /// newcomer for the person removed (J8). Changing an existing user's password is not a reuse.
    /// - Throws: ``UserDefinitionError`` naming when the person was removed.
    public func refuseRemovedName(_ username: String) async throws {
        guard let removed = try await vacatedAt(username) else { return }
        throw UserDefinitionError(
            "a user named '\(username)' was removed on \(ISO8601DateFormatter().string(from: removed)); clients know people by this name (`sub`), "
                + "so a new person given it would be taken for the one removed: choose another name, or pass --force"
        )
    }

    /// When the person who had this username was removed, if nobody holds the name now (J8).
    private func vacatedAt(_ username: String) async throws -> Date? {
        guard try await store.user(username: username) == nil else { return nil }
        return try await store.removedAt(username: username)
    }

    /// A user whose password hash was made elsewhere (config file `password_hash`).
    public func addUser(username: String, passwordHash: String, displayName: String?) async throws {
        try Self.validate(username: username)
        guard passwordHash.hasPrefix("pbkdf2-sha256$") else { throw UserDefinitionError("password_hash must be a pbkdf2-sha256$… value") }
        try await store.upsertUser(UserRecord(username: username, passwordHash: passwordHash, displayName: displayName, createdAt: now()))
    }

    /// Usernames are 1 to 64 ASCII letters, digits, `.`, `_`, `-`, `@` (``PresentedIdentifier/Kind/username``).
    public static func validate(username: String) throws(UserDefinitionError) {
        do { _ = try PresentedIdentifier.canonical(username, as: .username) } catch {
            throw UserDefinitionError(error.message)
        }
    }

    /// A configured user (`users:` in the config file): a ready hash is stored as it is; a password is
    /// hashed, unless the stored hash already matches it and the display name is unchanged (start-up
    /// skips the slow KDF for users it already has). A name removed with `tessera users remove` and not given out
    /// again since (`tessera users add --force`) is left removed: the file would otherwise hand the removed person's
    /// `sub` to whoever signs in with its password at every start (OpenID Connect Core §2, J8).
    /// - Parameters:
    ///   - username: the sign-in name.
    ///   - password: the plaintext password, when the file gives one.
    ///   - passwordHash: a `pbkdf2-sha256$…` hash, when the file gives one (it wins over `password`).
    ///   - displayName: how the pages greet the person.
    /// - Returns: when the person was removed, if the name was left removed; `nil` when the user is stored.
    /// - Throws: ``UserDefinitionError`` for a bad name, password or hash; store failures.
    @discardableResult
    public func ensureUser(username: String, password: String?, passwordHash: String?, displayName: String?) async throws -> Date? {
        if let removed = try await vacatedAt(username) { return removed }
        if let passwordHash {
            try await addUser(username: username, passwordHash: passwordHash, displayName: displayName)
        } else if let password {
            if let stored = try await store.user(username: username), PasswordHasher.verify(password, against: stored.passwordHash) {
                // Same password: keep its hash, so a new display name does not end the person's sessions (J15).
                if stored.displayName != displayName {
                    try await addUser(username: username, passwordHash: stored.passwordHash, displayName: displayName)
                }
                return nil
            }
            try await addUser(username: username, password: password, displayName: displayName)
        }
        return nil
    }

    /// The user if `password` is theirs.
    ///
    /// The name is canonicalized first (``PresentedIdentifier``): a name no user can have — a NUL, a
    /// control character, another normalization form — is refused before the store sees it, because
    /// the store and the throttle must agree on who is named. The KDF runs on ``hashing``; an unknown
    /// name costs the same KDF work as a wrong password (a decoy hash), so timing does not reveal who exists.
    ///
    /// - Throws: ``PresentedIdentifier/Refusal`` for an impossible name, ``PasswordHashingPool/Busy`` when
    ///   too many hashes are already waiting.
    public func authenticate(username: String, password: String) async throws -> Person? {
        let name = try PresentedIdentifier.canonical(username, as: .username)
        let user = try await store.user(username: name)
        let stored = user?.passwordHash
        let candidate = String(password.prefix(1024))
        let matches = try await hashing.submit { PasswordHasher.verify(candidate, against: stored ?? PasswordHasher.decoy) }
        return matches ? user.map { Person(username: $0.username, displayName: $0.displayName) } : nil
    }

    /// A browser session: the cookie value to set (shown once, stored only hashed) and its record.
    public func startSession(username: String?) async throws -> (cookie: String, session: BrowserSession) {
        let cookie = TokenIssuer.randomIdentifier()
        let current = now()
        let session = SessionRecord(
            idHash: TokenIssuer.hashToken(cookie),
            username: username,
            csrfToken: TokenIssuer.randomIdentifier(),
            createdAt: current,
            expiresAt: current.addingTimeInterval(username == nil ? Self.anonymousSessionLifetime : Self.sessionLifetime)
        )
        if username == nil {
            try await store.createAnonymousSession(session, limit: anonymousSessionLimit, at: current)
        } else {
            try await store.createSession(session)
        }
        return (cookie, BrowserSession(session))
    }

    /// The live session behind a cookie value.
    /// - Parameter cookie: the session cookie's value, if the request carried one.
    /// - Returns: The live session behind it, or `nil`.
    /// - Throws: Store failures.
    public func session(cookie: String?) async throws -> BrowserSession? {
        guard let cookie, cookie.utf8.count <= 128 else { return nil }
        return try await store.session(idHash: TokenIssuer.hashToken(cookie), at: now()).map(BrowserSession.init)
    }

    public func endSession(_ session: BrowserSession) async throws {
        try await store.deleteSession(idHash: session.idHash)
    }

    /// Whether a form's CSRF token is this session's (constant time).
    public static func checkCSRF(_ presented: String?, session: BrowserSession) -> Bool {
        guard let presented, !presented.isEmpty else { return false }
        return ConstantTime.equals(Array(presented.utf8), Array(session.csrfToken.utf8))
    }

    /// Live sessions that hold no user yet (bounded by the anonymous-session limit).
    public func anonymousSessionCount() async throws -> Int { try await store.anonymousSessionCount(at: now()) }

    /// - Parameter username: a signed-in person's name.
    /// - Returns: The person as the pages greet them (no display name for an unknown name).
    /// - Throws: Store failures.
    public func person(username: String) async throws -> Person {
        guard PresentedIdentifier.isCanonical(username, as: .username) else { return Person(username: username, displayName: nil) }
        return Person(username: username, displayName: try await store.user(username: username)?.displayName)
    }
    public func sweepSessions(before cutoff: Date) async throws -> Int { try await store.deleteExpiredSessions(before: cutoff) }
}

/// A person as the doors see them: who they are and how the pages greet them.
public struct Person: Sendable, Hashable {
    public var username: String
    public var displayName: String?

    public init(username: String, displayName: String?) {
        self.username = username
        self.displayName = displayName
    }
}

/// A browser session as the doors see it (the stored record stays the engine's business).
public struct BrowserSession: Sendable, Hashable {
    /// SHA-256 (base64url) of the cookie value: the session's identity, also the user-code throttle's key.
    public let idHash: String
    /// The signed-in person; `nil` while the session only carries the sign-in form's CSRF token.
    public let username: String?
    /// The synchronizer token every form of this session must echo.
    public let csrfToken: String
    /// When the person signed in (OpenID Connect `auth_time`).
    public let createdAt: Date

    init(_ record: SessionRecord) {
        (idHash, username, csrfToken, createdAt) = (record.idHash, record.username, record.csrfToken, record.createdAt)
    }
}

/// A user definition that cannot be stored.
public struct UserDefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
