public import Foundation
public import TesseraProtocol

/// A party's registration at the GNAP door (issue 19, "one registry"): the key it proves with and what
/// it may be there — a client instance (RFC 9635 §2.3.1), a resource server (RFC 9767 §3.2), or both.
/// It is part of the party's ``ClientRecord``, so a party that uses both doors is registered once.
public struct GNAPRegistration: Sendable, Hashable, Codable {
    /// The instance role: what the client instance may be granted for itself.
    public struct Instance: Sendable, Hashable, Codable {
        public var displayName: String?
        /// Access types or references this instance may be granted for itself, with no resource owner involved.
        public var allowedAccess: [String]
        /// Whether the instance may ask for bearer tokens (`flags: ["bearer"]`).
        public var allowBearer: Bool

        public init(displayName: String? = nil, allowedAccess: [String], allowBearer: Bool = false) {
            self.displayName = displayName
            self.allowedAccess = allowedAccess
            self.allowBearer = allowBearer
        }

        enum CodingKeys: String, CodingKey {
            case displayName = "display_name"
            case allowedAccess = "allowed_access"
            case allowBearer = "allow_bearer"
        }
    }

    /// The resource-server role (RFC 9767): the token audiences it answers for.
    public struct ResourceServer: Sendable, Hashable, Codable {
        /// Token audiences (access `locations`) this RS serves: it introspects their tokens and may
        /// derive downstream tokens from them (RFC 9767 §3.3, §4).
        public var audiences: [String]

        public init(audiences: [String]) {
            self.audiences = audiences
        }
    }

    /// The key the party proves with (RFC 9635 §7.1), including its proofing method.
    public var key: GNAPKey
    /// The key's identity (RFC 7638 JWK thumbprint, or RFC 8705 certificate thumbprint): one key, one party.
    public var keyThumbprint: String
    public var instance: Instance?
    public var resourceServer: ResourceServer?
    /// Whether the entry was seeded from the configuration file (and is reconciled with it at startup).
    public var fromConfiguration: Bool

    public init(
        key: GNAPKey,
        keyThumbprint: String,
        instance: Instance? = nil,
        resourceServer: ResourceServer? = nil,
        fromConfiguration: Bool = false
    ) {
        self.key = key
        self.keyThumbprint = keyThumbprint
        self.instance = instance
        self.resourceServer = resourceServer
        self.fromConfiguration = fromConfiguration
    }

    enum CodingKeys: String, CodingKey {
        case key
        case keyThumbprint = "key_thumbprint"
        case instance
        case resourceServer = "resource_server"
        case fromConfiguration = "from_configuration"
    }

    /// The registration as the JSON text stored in the `gnap_registration` column.
    /// - Returns: sorted-key JSON.
    /// - Throws: an encoding error (not expected for these value types).
    public func storedJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads the stored column back.
    /// - Parameter json: the `gnap_registration` column.
    /// - Returns: the registration.
    /// - Throws: ``StorageError`` `corrupt` when the text is not a registration.
    public static func stored(_ json: String) throws -> GNAPRegistration {
        do {
            return try JSONDecoder().decode(GNAPRegistration.self, from: Data(json.utf8))
        } catch {
            throw StorageError(.corrupt, "a client's GNAP registration is not readable: \(error)")
        }
    }
}

extension ClientRecord {
    /// A party registered only at the GNAP door: no OAuth grant types, no OAuth authentication.
    /// - Parameters:
    ///   - id: the party's id (its GNAP `instance_id` / RS reference).
    ///   - gnap: its GNAP registration.
    ///   - createdAt: when it was registered.
    /// - Returns: the record.
    public static func gnapOnly(id: String, gnap: GNAPRegistration, createdAt: Date) -> ClientRecord {
        var record = ClientRecord(id: id, authMethod: .none, grantTypes: [], scopes: [], createdAt: createdAt)
        record.gnap = gnap
        return record
    }

    /// Whether the party is registered at the OAuth door at all. A GNAP-only party (see ``gnapOnly(id:gnap:createdAt:)``)
    /// is not an OAuth public client: the OAuth door refuses to authenticate it.
    public var usesOAuth: Bool {
        gnap == nil || authMethod != .none || !grantTypes.isEmpty || !introspectionAudiences.isEmpty || !redirectURIs.isEmpty
    }
}
