public import Foundation
public import TesseraProtocol

/// How the GNAP front door decides, and what it knows about client instances and resource servers.
public struct GNAPConfiguration: Sendable {
    /// A pre-registered client instance (RFC 9635 §2.3.1): referenced by `instance_id`, or recognised by its key.
    public struct Instance: Sendable, Hashable {
        public var id: String
        public var key: GNAPKey
        public var displayName: String?
        /// Access types or references this instance may be granted for itself, with no resource owner involved.
        public var allowedAccess: Set<String>
        /// Whether the instance may ask for bearer tokens (`flags: ["bearer"]`).
        public var allowBearer: Bool

        public init(id: String, key: GNAPKey, displayName: String? = nil, allowedAccess: Set<String>, allowBearer: Bool = false) {
            self.id = id
            self.key = key
            self.displayName = displayName
            self.allowedAccess = allowedAccess
            self.allowBearer = allowBearer
        }
    }

    /// A resource server allowed to introspect (RFC 9767 §3.3) tokens whose audience it serves.
    public struct ResourceServer: Sendable, Hashable {
        public var id: String
        public var key: GNAPKey
        /// Token audiences (access `locations`) this RS answers for.
        public var audiences: Set<String>

        public init(id: String, key: GNAPKey, audiences: Set<String>) {
            self.id = id
            self.key = key
            self.audiences = audiences
        }
    }

    /// Interaction with a person (RFC 9635 §4).
    public struct Interaction: Sendable, Hashable {
        /// How long interaction URLs and user codes stay usable, seconds.
        public var lifetime: TimeInterval = 600
        /// Routing policy: a pending grant asking for this access type or reference goes to this
        /// resource owner (username), who alone may approve it. The request's `user` or `subject`
        /// hint is used only when no requested right has a configured owner; a request whose rights
        /// have two or more owners is refused (``GNAPService`` `resourceOwner(for:client:)`).
        public var resourceOwners: [String: String] = [:]
        /// How long the AS waits for a client's push endpoint.
        public var pushTimeout: Duration = .seconds(5)

        public init() {}
    }

    /// The configuration file's instances: seeded into the client store at startup (``GNAPRegistry/reconcile(configuration:oauthClients:now:)``);
    /// requests are decided from the store, never from this list.
    public var instances: [Instance] = []
    public var interaction = Interaction()
    /// The configuration file's resource servers, seeded into the client store like ``instances``.
    public var resourceServers: [ResourceServer] = []
    /// Whether clients presenting an unknown key may start grants (trust on first use, RFC 9635 §2.3);
    /// their grants always wait for a resource owner.
    public var allowUnknownClients = true
    /// `wait` in continuation responses, seconds (RFC 9635 §3.1 recommends at least 5).
    public var continuationWait = 5
    /// How long a grant may stay pending or continuable.
    public var grantLifetime: TimeInterval = 86_400
    /// Allowed clock difference for `created` in key proofs.
    public var proofWindow: Duration = .seconds(60)
    /// Whether requests can carry client certificates (native TLS asking for them, or trusted
    /// TLS-terminating proxies), so the `mtls` proof (RFC 9635 §7.3.2) is offered and accepted.
    public var mutualTLS = false

    public init() {}
}

/// The GNAP URLs, derived from the issuer.
public struct GNAPEndpoints: Sendable, Hashable {
    public let grant: String
    public let continuationBase: String
    public let tokenBase: String
    public let introspection: String
    /// The interaction pages: `interactBase + id` is the redirect start URL, `userCode` the code entry page.
    public let interactBase: String
    public let userCode: String
    public let signIn: String
    /// RFC 9767 §3.4.
    public let resourceRegistration: String

    public init(issuer: String) {
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        grant = base + "/gnap"
        continuationBase = base + "/gnap/continue/"
        tokenBase = base + "/gnap/token/"
        introspection = base + "/gnap/introspect"
        interactBase = base + "/interact/"
        userCode = base + "/device"
        signIn = base + "/signin"
        resourceRegistration = base + "/gnap/resource"
    }
}
