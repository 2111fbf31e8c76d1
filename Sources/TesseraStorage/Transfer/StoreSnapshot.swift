import Foundation
import TesseraProtocol

/// Everything an installation holds that must survive a move between databases: clients, signing
/// keys and issued tokens (`tessera export` / `tessera import`).
///
/// Replay-cache entries are not carried: they protect a few minutes at most, and a move is done
/// with the servers stopped. Timestamps are milliseconds since 1970, the stores' own precision.
/// The JSON holds private signing keys and secret hashes: treat an export like the database itself.
public struct StoreSnapshot: Sendable, Hashable, Codable {
    /// The format of this document; bumped when a field changes meaning.
    public var format: Int
    public var clients: [Client]
    /// Signing keys (private parts included), as their rows (``recordTables``).
    public var signingKeys: [Row]
    /// Access-token records, as their rows.
    public var accessTokens: [Row]
    /// Refresh-token records (hashes only, never the tokens), as their rows.
    public var refreshTokens: [Row]
    /// GNAP grants (RFC 9635) with their continuation state (the token only as its hash), as their rows; absent
    /// from files of older builds.
    public var gnapGrants: [Row]
    /// GNAP token-management records (the token only as its hash), as their rows; absent from files of older builds.
    public var gnapTokens: [Row]
    /// People who sign in to the interaction pages (password hashes only); absent from files of older builds.
    public var users: [User] = []
    /// The rows of the ``rowTables`` (consents, initial access tokens, GNAP resource sets), by table;
    /// absent from files of older builds.
    public var rows: [String: [Row]] = [:]

    /// The format this build writes and reads.
    public static let currentFormat = 1

    /// - Parameters:
    ///   - clients: the clients.
    ///   - users: the users.
    public init(clients: [ClientRecord], users: [UserRecord] = []) {
        self.format = Self.currentFormat
        self.clients = clients.map(Client.init)
        (signingKeys, accessTokens, refreshTokens, gnapGrants, gnapTokens) = ([], [], [], [], [])
        self.users = users.map(User.init)
    }

    enum CodingKeys: String, CodingKey {
        case format, clients, users, rows
        case signingKeys = "signing_keys"
        case accessTokens = "access_tokens"
        case refreshTokens = "refresh_tokens"
        case gnapGrants = "gnap_grants"
        case gnapTokens = "gnap_tokens"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(Int.self, forKey: .format)
        clients = try container.decode([Client].self, forKey: .clients)
        signingKeys = try Self.carried(container.decode([Row].self, forKey: .signingKeys), as: SigningKeyRecord.self)
        accessTokens = try Self.carried(container.decode([Row].self, forKey: .accessTokens), as: AccessTokenRecord.self)
        refreshTokens = try Self.carried(container.decode([Row].self, forKey: .refreshTokens), as: RefreshTokenRecord.self)
        gnapGrants = try Self.carried(container.decodeIfPresent([Row].self, forKey: .gnapGrants) ?? [], as: GNAPGrantRecord.self)
        gnapTokens = try Self.carried(container.decodeIfPresent([Row].self, forKey: .gnapTokens) ?? [], as: GNAPTokenRecord.self)
        users = try container.decodeIfPresent([User].self, forKey: .users) ?? []
        rows = try container.decodeIfPresent([String: [Row]].self, forKey: .rows) ?? [:]
    }

    /// How many rows an import added (rows already present are left as they are, clients excepted: they are replaced).
    public struct Counts: Sendable, Hashable, CustomStringConvertible {
        public var clients = 0
        public var signingKeys = 0
        public var accessTokens = 0
        public var refreshTokens = 0
        public var gnapGrants = 0
        public var gnapTokens = 0
        /// Users are replaced, like clients (the export holds their current password hashes).
        public var users = 0
        /// Rows of the ``StoreSnapshot/rowTables`` added.
        public var rows = 0
        public init() {}
        public var description: String {
            "\(clients) clients, \(signingKeys) signing keys, \(accessTokens) access tokens, \(refreshTokens) refresh tokens, "
                + "\(gnapGrants) GNAP grants, \(gnapTokens) GNAP tokens, \(users) users, \(rows) other rows"
        }
    }

    /// A client as exported.
    public struct Client: Sendable, Hashable, Codable {
        public var id: String
        public var authMethod: String
        public var secretHash: String?
        public var jwks: String?
        public var jwksURI: String?
        public var grantTypes: [String]
        public var scopes: [String]
        public var createdAt: Int64
        /// Absent in snapshots written before migration 0009.
        public var redirectURIs: [String]?
        public var requirePushedAuthorizationRequests: Bool?
        /// Absent in snapshots written before migration 0011.
        public var introspectionAudiences: [String]?
        /// The party's GNAP instance / resource-server registration (issue 19); absent before migration 0014.
        public var gnap: GNAPRegistration?
        /// The RFC 7591 registration (metadata and registration-access-token hash) of a self-registered
        /// client; absent for operator-registered clients and in snapshots written before it was carried.
        public var registration: ClientRegistration?
        /// The name the operator registered the client under (issue 21); absent before migration 0016.
        public var clientName: String?
        /// RFC 8707 `resource` required of this client (issue 20); absent before migration 0017.
        public var requireResource: Bool?

        enum CodingKeys: String, CodingKey {
            case requireResource = "require_resource"
            case gnap, registration, id, jwks, scopes
            case clientName = "client_name"
            case redirectURIs = "redirect_uris"
            case requirePushedAuthorizationRequests = "require_pushed_authorization_requests"
            case introspectionAudiences = "introspection_audiences"
            case authMethod = "auth_method"
            case secretHash = "secret_hash"
            case jwksURI = "jwks_uri"
            case grantTypes = "grant_types"
            case createdAt = "created_at"
        }

        init(_ record: ClientRecord) {
            id = record.id
            authMethod = record.authMethod.rawValue
            secretHash = record.secretHash
            jwks = record.jwks
            jwksURI = record.jwksURI
            grantTypes = record.grantTypes.map(\.rawValue)
            scopes = record.scopes
            createdAt = record.createdAt.millis
            redirectURIs = record.redirectURIs
            requirePushedAuthorizationRequests = record.requirePushedAuthorizationRequests
            introspectionAudiences = record.introspectionAudiences.isEmpty ? nil : record.introspectionAudiences
            gnap = record.gnap
            registration = record.registration
            clientName = record.clientName
            requireResource = record.requireResource ? true : nil
        }

        /// The store record.
        public var record: ClientRecord {
            var record = ClientRecord(
                id: id,
                authMethod: .init(rawValue: authMethod),
                secretHash: secretHash,
                jwks: jwks,
                jwksURI: jwksURI,
                grantTypes: grantTypes.map { .init(rawValue: $0) },
                scopes: scopes,
                createdAt: Date(millis: createdAt)
            )
            record.redirectURIs = redirectURIs ?? []
            record.requirePushedAuthorizationRequests = requirePushedAuthorizationRequests ?? false
            record.introspectionAudiences = introspectionAudiences ?? []
            record.gnap = gnap
            record.registration = registration
            record.clientName = clientName
            record.requireResource = requireResource ?? false
            return record
        }
    }
}

/// Reads and writes a whole ``StoreSnapshot``; each database implements it over its own tables.
public protocol StoreSnapshotting: Sendable {
    /// Every record the snapshot carries: clients, signing keys, tokens, GNAP grants and tokens, users.
    func exportSnapshot() async throws -> StoreSnapshot
    /// Adds the snapshot's rows in one transaction: clients and users are upserted, keys and tokens already
    /// present (same key) are left unchanged, so an import can be repeated.
    /// - Returns: the rows added.
    func importSnapshot(_ snapshot: StoreSnapshot) async throws -> StoreSnapshot.Counts
}

extension StoreSnapshot {
    /// A user as exported: the password's KDF output, never the password.
    public struct User: Sendable, Hashable, Codable {
        public var username: String
        public var passwordHash: String
        public var displayName: String?
        public var createdAt: Int64

        public init(_ record: UserRecord) {
            username = record.username
            passwordHash = record.passwordHash
            displayName = record.displayName
            createdAt = record.createdAt.millis
        }

        public var record: UserRecord {
            UserRecord(username: username, passwordHash: passwordHash, displayName: displayName, createdAt: Date(millis: createdAt))
        }

        enum CodingKeys: String, CodingKey {
            case username
            case passwordHash = "password_hash"
            case displayName = "display_name"
            case createdAt = "created_at"
        }
    }
}
