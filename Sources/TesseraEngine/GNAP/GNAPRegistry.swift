public import Foundation
public import TesseraProtocol
public import TesseraStorage

/// GNAP client instances and resource servers as the engine sees them, read from the one client store
/// (issue 19, "one registry"): a party is one ``ClientRecord``; its ``GNAPRegistration`` says which
/// GNAP roles it has. Every lookup reads the store, so a party added or removed with `tessera clients`
/// counts on every server instance at once (only caches that are safe to lose may sit in front).
public struct GNAPRegistry: Sendable {
    /// A registered party at the GNAP door.
    public struct Party: Sendable, Hashable {
        public var id: String
        public var key: GNAPKey
        public var instance: GNAPConfiguration.Instance?
        public var resourceServer: GNAPConfiguration.ResourceServer?

        /// The party's GNAP roles; `nil` for a client without a GNAP registration.
        /// - Parameter record: the stored client.
        public init?(_ record: ClientRecord) {
            guard let gnap = record.gnap else { return nil }
            id = record.id
            key = gnap.key
            instance = gnap.instance.map {
                GNAPConfiguration.Instance(
                    id: record.id,
                    key: gnap.key,
                    displayName: $0.displayName,
                    allowedAccess: Set($0.allowedAccess),
                    allowBearer: $0.allowBearer
                )
            }
            resourceServer = gnap.resourceServer.map {
                GNAPConfiguration.ResourceServer(id: record.id, key: gnap.key, audiences: Set($0.audiences))
            }
        }
    }

    let clients: any ClientStore
    let tokens: (any TokenStore)?

    /// - Parameters:
    ///   - clients: the client store both doors share.
    ///   - tokens: the token ledger, for revoking what was issued to a party the configuration file dropped.
    public init(clients: any ClientStore, tokens: (any TokenStore)? = nil) {
        self.clients = clients
        self.tokens = tokens
    }

    /// The party with this id, if it has a GNAP registration.
    /// - Parameter id: an `instance_id` or resource-server reference.
    /// - Returns: the party, or `nil`.
    /// - Throws: a store failure.
    public func party(id: String) async throws -> Party? {
        // Through the one identifier gate before it is a lookup key: SQLite reads a bound string only up
        // to a NUL, so `agent-1\u{0}x` would otherwise find `agent-1` (PresentedIdentifier).
        guard PresentedIdentifier.isCanonical(id, as: .clientID) else { return nil }
        return try await clients.client(id: id).flatMap(Party.init)
    }

    /// The party holding this key, if any (a key is presented by value, RFC 9635 §2.3, RFC 9767 §3.2).
    /// - Parameter thumbprint: the key's RFC 7638 (or RFC 8705 certificate) thumbprint.
    /// - Returns: the party, or `nil`.
    /// - Throws: a store failure.
    public func party(thumbprint: String) async throws -> Party? {
        try await clients.client(gnapKeyThumbprint: thumbprint).flatMap(Party.init)
    }

    /// The registration to store for a key and its roles, after the checks RFC 9635 §7.1 puts on a key.
    /// - Parameters:
    ///   - key: the party's public key with its proofing method.
    ///   - instance: the instance role, if any.
    ///   - resourceServer: the resource-server role, if any.
    ///   - fromConfiguration: whether it comes from the configuration file.
    /// - Returns: the registration with the key's thumbprint.
    /// - Throws: ``GNAPError`` `invalid_client` for a key that could never prove anything.
    public static func registration(
        key: GNAPKey,
        instance: GNAPRegistration.Instance?,
        resourceServer: GNAPRegistration.ResourceServer?,
        fromConfiguration: Bool = false
    ) throws(GNAPError) -> GNAPRegistration {
        guard ["httpsig", "jwsd", "jws", "mtls"].contains(key.proof.method) else {
            throw GNAPError(.invalidClient, "the key's proof must be httpsig, jwsd, jws or mtls (RFC 9635 §7.3)")
        }
        try GNAPService.checkKeyFormat(key)
        return GNAPRegistration(
            key: key,
            keyThumbprint: try GNAPService.thumbprint(of: key),
            instance: instance,
            resourceServer: resourceServer,
            fromConfiguration: fromConfiguration
        )
    }

    /// Seeds and reconciles the configuration file's `gnap.instances` and `gnap.resource_servers` into
    /// the store at startup, beside the file's OAuth clients. Precedence: the file wins for the ids it
    /// names (each start re-applies it); parties registered with `tessera clients` keep their entries;
    /// a GNAP registration that came from the file and is no longer in it is removed (a GNAP-only party with
    /// the tokens issued to it revoked, as `tessera clients remove` does). An instance and a
    /// resource server with one id are one party (their keys must match), and a file's OAuth client
    /// with that id is the same party too (registered once).
    /// - Parameters:
    ///   - configuration: the GNAP section of the file.
    ///   - oauthClients: the file's OAuth clients.
    ///   - now: the registration time for new parties.
    /// - Throws: ``GNAPError`` for an invalid or conflicting key (the id in the description); a store failure.
    public func reconcile(configuration: GNAPConfiguration, oauthClients: [ClientRecord], now: Date) async throws {
        var configured: [String: GNAPRegistration] = [:]
        for instance in configuration.instances {
            var entry =
                try configured[instance.id]
                ?? Self.registration(key: instance.key, instance: nil, resourceServer: nil, fromConfiguration: true)
            guard entry.key == instance.key else {
                throw GNAPError(.invalidClient, "gnap instance '\(instance.id)' is configured twice with different keys")
            }
            entry.instance = .init(
                displayName: instance.displayName,
                allowedAccess: instance.allowedAccess.sorted(),
                allowBearer: instance.allowBearer
            )
            configured[instance.id] = entry
        }
        for server in configuration.resourceServers {
            var entry =
                try configured[server.id] ?? Self.registration(key: server.key, instance: nil, resourceServer: nil, fromConfiguration: true)
            guard entry.key == server.key else {
                throw GNAPError(.invalidClient, "gnap instance and resource server '\(server.id)' are configured with different keys")
            }
            entry.resourceServer = .init(audiences: server.audiences.sorted())
            configured[server.id] = entry
        }
        var stored: [String: ClientRecord] = [:]
        for record in try await clients.all() { stored[record.id] = record }
        // Registrations the file no longer names go first, so a key moved to another id is free again.
        for (id, record) in stored where record.gnap?.fromConfiguration == true && configured[id] == nil {
            if record.usesOAuth {
                var kept = record
                kept.gnap = nil
                try await clients.upsert(kept)
            } else if try await clients.remove(id: id) {
                // Like `tessera clients remove`: what was issued to it, and everything derived, is revoked.
                _ = try await tokens?.revokeTokens(clientID: id, at: now)
            }
        }
        var oauthIDs = Set<String>()
        for var client in oauthClients {
            oauthIDs.insert(client.id)
            client.gnap = configured[client.id] ?? stored[client.id]?.gnap.flatMap { $0.fromConfiguration ? nil : $0 }
            try await clients.upsert(client)
        }
        for (id, registration) in configured.sorted(by: { $0.key < $1.key }) where !oauthIDs.contains(id) {
            var record = stored[id] ?? .gnapOnly(id: id, gnap: registration, createdAt: now)
            record.gnap = registration
            try await clients.upsert(record)
        }
    }
}
