public import Foundation

/// A person who can sign in to the AS's pages and act as a resource owner (RFC 9635 §1.2).
public struct UserRecord: Sendable, Hashable {
    /// The sign-in name; also the subject of tokens this person approves.
    public var username: String
    /// The password's KDF output in its self-describing stored form (never the password).
    public var passwordHash: String
    public var displayName: String?
    public var createdAt: Date

    public init(username: String, passwordHash: String, displayName: String?, createdAt: Date) {
        self.username = username
        self.passwordHash = passwordHash
        self.displayName = displayName
        self.createdAt = createdAt
    }
}

/// A browser session. The cookie carries a random identifier; only its SHA-256 is stored, so a copy
/// of the database does not let anyone take over a session.
public struct SessionRecord: Sendable, Hashable {
    /// SHA-256 (base64url) of the session identifier in the cookie.
    public var idHash: String
    /// The signed-in person; `nil` for a session that only carries a CSRF token for the sign-in form.
    public var username: String?
    /// The synchronizer token every form of this session must echo.
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(idHash: String, username: String?, csrfToken: String, createdAt: Date, expiresAt: Date) {
        self.idHash = idHash
        self.username = username
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

extension UserRecord: InsertableRecord {
    static let table = "users"
    /// Replaces the password hash and display name of a user already there (the creation time stays).
    static let replacingCredentials =
        " ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, display_name = excluded.display_name"
    static let columns = "username, password_hash, display_name, created_at"
    /// Run before ``replacingCredentials`` in the same transaction, with the username twice and the new hash: a changed
    /// password signs the person out everywhere, so a session taken by whoever knew the old one ends with it (J15;
    /// OWASP ASVS 3.3.3). An unchanged hash (a restart re-reading the config file) keeps every session.
    static let endingSessionsOfChangedPassword =
        "DELETE FROM sessions WHERE username = ? AND EXISTS (SELECT 1 FROM users WHERE username = ? AND password_hash <> ?)"

    init(row: some StoredRow) throws {
        self.init(
            username: try row.text(0),
            passwordHash: try row.text(1),
            displayName: try row.optionalText(2),
            createdAt: try row.date(3)
        )
    }

    func storedValues() -> [StoredValue] {
        [.text(username), .text(passwordHash), .text(displayName), .date(createdAt)]
    }
}

extension SessionRecord: InsertableRecord {
    static let table = "sessions"
    static let columns = "id_hash, username, csrf_token, created_at, expires_at"

    init(row: some StoredRow) throws {
        self.init(
            idHash: try row.text(0),
            username: try row.optionalText(1),
            csrfToken: try row.text(2),
            createdAt: try row.date(3),
            expiresAt: try row.date(4)
        )
    }

    func storedValues() -> [StoredValue] {
        [.text(idHash), .text(username), .text(csrfToken), .date(createdAt), .date(expiresAt)]
    }
}
