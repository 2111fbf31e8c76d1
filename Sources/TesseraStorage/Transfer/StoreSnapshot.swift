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
    public var signingKeys: [SigningKey]
    public var accessTokens: [AccessToken]
    public var refreshTokens: [RefreshToken]
    /// GNAP grants (RFC 9635) with their continuation state; absent from files of older builds.
    public var gnapGrants: [GNAPGrant]
    /// GNAP token-management records; absent from files of older builds.
    public var gnapTokens: [GNAPToken]
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
        signingKeys = try container.decode([SigningKey].self, forKey: .signingKeys)
        accessTokens = try container.decode([AccessToken].self, forKey: .accessTokens)
        refreshTokens = try container.decode([RefreshToken].self, forKey: .refreshTokens)
        gnapGrants = try container.decodeIfPresent([GNAPGrant].self, forKey: .gnapGrants) ?? []
        gnapTokens = try container.decodeIfPresent([GNAPToken].self, forKey: .gnapTokens) ?? []
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

    /// A signing key as exported (private part included).
    public struct SigningKey: Sendable, Hashable, Codable {
        public var kid: String
        public var algorithm: String
        public var privateJWK: String
        public var publicJWK: String
        public var createdAt: Int64
        public var retiredAt: Int64?

        enum CodingKeys: String, CodingKey {
            case kid, algorithm
            case privateJWK = "private_jwk"
            case publicJWK = "public_jwk"
            case createdAt = "created_at"
            case retiredAt = "retired_at"
        }
    }

    /// An access-token record as exported.
    public struct AccessToken: Sendable, Hashable, Codable {
        public var jti: String
        public var grantID: String
        public var clientID: String
        public var subject: String
        public var scope: String
        public var audience: [String]
        public var issuedAt: Int64
        public var expiresAt: Int64
        public var revokedAt: Int64?
        /// The token's parent (issue 19); absent in snapshots written before migration 0012.
        public var parentKind: String?
        public var parentID: String?

        enum CodingKeys: String, CodingKey {
            case parentKind = "parent_kind"
            case parentID = "parent_id"
            case jti, subject, scope, audience
            case grantID = "grant_id"
            case clientID = "client_id"
            case issuedAt = "issued_at"
            case expiresAt = "expires_at"
            case revokedAt = "revoked_at"
        }
    }

    /// A refresh-token record as exported (hash only, never the token).
    public struct RefreshToken: Sendable, Hashable, Codable {
        public var tokenHash: String
        public var grantID: String
        public var clientID: String
        public var subject: String
        public var scope: String
        public var audience: [String]
        public var issuedAt: Int64
        public var expiresAt: Int64
        public var usedAt: Int64?
        public var revokedAt: Int64?
        /// The DPoP key binding (RFC 9449 §5); absent from files of older builds.
        public var jkt: String?
        /// RFC 9396 details of the grant (JSON text); absent in exports made before migration 0004.
        public var authorizationDetails: String?

        enum CodingKeys: String, CodingKey {
            case authorizationDetails = "authorization_details"
            case tokenHash = "token_hash"
            case grantID = "grant_id"
            case clientID = "client_id"
            case subject, scope, audience, jkt
            case issuedAt = "issued_at"
            case expiresAt = "expires_at"
            case usedAt = "used_at"
            case revokedAt = "revoked_at"
        }
    }
}

extension StoreSnapshot {
    /// A GNAP grant as exported (the continuation token only as its hash).
    public struct GNAPGrant: Sendable, Hashable, Codable {
        public var id: String
        public var state: String
        public var clientKey: String
        public var keyThumbprint: String
        public var instanceID: String?
        public var request: String
        public var continuationHash: String?
        public var continueAfter: Int64
        public var subject: String?
        public var createdAt: Int64
        public var updatedAt: Int64
        public var expiresAt: Int64
        /// When the approving person signed in here (`auth_time`); absent from files of older builds and when nobody did.
        public var authenticatedAt: Int64?

        enum CodingKeys: String, CodingKey {
            case id, state, request, subject
            case clientKey = "client_key"
            case keyThumbprint = "key_thumbprint"
            case instanceID = "instance_id"
            case continuationHash = "continuation_hash"
            case continueAfter = "continue_after"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
            case expiresAt = "expires_at"
            case authenticatedAt = "authenticated_at"
        }
    }

    /// A GNAP token-management record as exported (the management token only as its hash).
    public struct GNAPToken: Sendable, Hashable, Codable {
        public var manageID: String
        public var managementHash: String
        public var grantID: String
        public var jti: String
        public var label: String?
        public var access: String
        public var flags: [String]
        public var createdAt: Int64
        public var revokedAt: Int64?

        enum CodingKeys: String, CodingKey {
            case jti, label, access, flags
            case manageID = "manage_id"
            case managementHash = "management_hash"
            case grantID = "grant_id"
            case createdAt = "created_at"
            case revokedAt = "revoked_at"
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
