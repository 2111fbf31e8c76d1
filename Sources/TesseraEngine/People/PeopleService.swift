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

    let store: any PeopleStore
    let now: @Sendable () -> Date

    public init(store: any PeopleStore, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.now = now
    }

    /// A new or changed user. - Throws: ``UserDefinitionError`` for a bad name or short password.
    public func addUser(username: String, password: String, displayName: String?) async throws {
        try Self.validate(username: username)
        guard password.count >= PasswordHasher.minimumLength else {
            throw UserDefinitionError("the password must be at least \(PasswordHasher.minimumLength) characters")
        }
        try await store.upsertUser(
            UserRecord(username: username, passwordHash: try PasswordHasher.hash(password), displayName: displayName, createdAt: now())
        )
    }

    /// A user whose password hash was made elsewhere (config file `password_hash`).
    public func addUser(username: String, passwordHash: String, displayName: String?) async throws {
        try Self.validate(username: username)
        guard passwordHash.hasPrefix("pbkdf2-sha256$") else { throw UserDefinitionError("password_hash must be a pbkdf2-sha256$… value") }
        try await store.upsertUser(UserRecord(username: username, passwordHash: passwordHash, displayName: displayName, createdAt: now()))
    }

    /// Usernames are 1 to 64 characters of letters, digits, `.`, `_`, `-`, `@`.
    public static func validate(username: String) throws(UserDefinitionError) {
        guard (1...64).contains(username.count),
            username.unicodeScalars.allSatisfy({
                CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-@".unicodeScalars.contains($0)
            })
        else { throw UserDefinitionError("a username is 1 to 64 ASCII letters, digits, '.', '_', '-' or '@'") }
    }

    /// The user if `password` is theirs. An unknown name costs the same KDF work as a wrong password.
    public func authenticate(username: String, password: String) async throws -> UserRecord? {
        let user = username.count <= 64 ? try await store.user(username: username) : nil
        let matches = PasswordHasher.verify(String(password.prefix(1024)), against: user?.passwordHash ?? PasswordHasher.decoy)
        return matches ? user : nil
    }

    /// A browser session: the cookie value to set (shown once, stored only hashed) and its record.
    public func startSession(username: String?) async throws -> (cookie: String, session: SessionRecord) {
        let cookie = TokenIssuer.randomIdentifier()
        let current = now()
        let session = SessionRecord(
            idHash: TokenIssuer.hashToken(cookie),
            username: username,
            csrfToken: TokenIssuer.randomIdentifier(),
            createdAt: current,
            expiresAt: current.addingTimeInterval(username == nil ? Self.anonymousSessionLifetime : Self.sessionLifetime)
        )
        try await store.createSession(session)
        return (cookie, session)
    }

    /// The live session behind a cookie value.
    public func session(cookie: String) async throws -> SessionRecord? {
        guard cookie.utf8.count <= 128 else { return nil }
        return try await store.session(idHash: TokenIssuer.hashToken(cookie), at: now())
    }

    public func endSession(_ session: SessionRecord) async throws {
        try await store.deleteSession(idHash: session.idHash)
    }

    /// Whether a form's CSRF token is this session's (constant time).
    public static func checkCSRF(_ presented: String?, session: SessionRecord) -> Bool {
        guard let presented, !presented.isEmpty else { return false }
        return ConstantTime.equals(Array(presented.utf8), Array(session.csrfToken.utf8))
    }

    public func users() async throws -> [UserRecord] { try await store.users() }
    public func removeUser(username: String) async throws -> Bool { try await store.removeUser(username: username) }
    public func user(username: String) async throws -> UserRecord? { try await store.user(username: username) }
    public func sweepSessions(before cutoff: Date) async throws -> Int { try await store.deleteExpiredSessions(before: cutoff) }
}

/// A user definition that cannot be stored.
public struct UserDefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
