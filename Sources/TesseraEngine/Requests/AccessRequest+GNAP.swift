public import TesseraProtocol
import TesseraStorage

extension AccessRequest {
    /// The GNAP door's translation of a grant request (RFC 9635 §2): its `access` rights (§8), their
    /// `locations` as where the token is used, and whether it asks about a person (`subject`, `user`,
    /// §2.2, §2.4) or is for the client instance itself.
    /// - Parameter request: the grant request, its registered references expanded.
    init(gnap request: GNAPGrantRequest) {
        let access = request.accessToken?.requests.flatMap(\.access) ?? []
        self.init(
            rights: Rights(access: access),
            resources: access.flatMap { right -> [String] in
                if case .object(let object) = right { return object.locations ?? [] }
                return []
            },
            subject: request.subject == nil && request.user == nil ? .client : .person(formats: request.subject?.subIDFormats ?? []),
            evidence: .client,
            kind: "gnap"
        )
    }
}

extension AccessRequest {
    /// What the GNAP door keeps with a grant (RFC 9635 §2, §3.1): the grant request, the client key
    /// later requests of the grant are proven with (§7.1), and the hash of the continuation token the
    /// door hands out (§5); none for a derived token's grant or a rotation, which are not continued.
    struct GNAPGrant: Sendable {
        var request: GNAPGrantRequest
        var key: GNAPKey
        var continuationHash: String?
        /// A continuation (RFC 9635 §5): the grant as the door read it, the hash of the token presented
        /// (the store's compare-and-swap expects it) and a modification's body (§5.3).
        var continued: Continued?
        /// A rotation (RFC 9635 §6.1): the token's management record and grant as the door read them, and the
        /// hash of the management token presented (the store's compare-and-swap expects it).
        var managed: Managed?
        /// A derivation (RFC 9767 §4): the audiences of the registered resource server asking.
        var serverAudiences: Set<String>?
        /// The key proof's nonces, spent in the commit that records the grant (``GNAPStore/createGrant(_:issued:spending:)``).
        var nonces: [SingleUseSpend] = []
    }

    typealias Continued = (grant: GNAPGrantRecord, presentedHash: String, patch: GNAPGrantRequest?)
    typealias Managed = (token: GNAPTokenRecord, grant: GNAPGrantRecord, presentedHash: String)

    /// A GNAP grant request (RFC 9635 §2) for ``GrantEngine/answer(_:from:)``: its rights as
    /// ``init(gnap:)`` reads them, and what the grant keeps.
    /// - Parameters:
    ///   - request: the grant request, its registered references expanded and `client` removed.
    ///   - key: the client key that proved it (RFC 9635 §7.1).
    ///   - continuationHash: the hash of the continuation token the door will hand out (§3.1).
    public init(gnap request: GNAPGrantRequest, key: GNAPKey, continuationHash: String) {
        self.init(gnap: request)
        gnap = GNAPGrant(request: request, key: key, continuationHash: continuationHash)
    }

    /// A derived-token request (RFC 9767 §4) for ``GrantEngine/answer(_:from:)``: the rights asked for the
    /// downstream resource server, the token presented, and who presents it.
    /// - Parameters:
    ///   - request: the grant request, `client` and `existing_access_token` removed.
    ///   - existing: the `existing_access_token` value.
    ///   - key: the resource server's own key, which proved the request (RFC 9767 §4).
    ///   - serverAudiences: the resource server's registered audiences; the token must be meant for one.
    public init(deriving request: GNAPGrantRequest, from existing: String, key: GNAPKey, serverAudiences: Set<String>) {
        self.init(gnap: request)
        evidence = .existingToken(existing)
        kind = "existing_access_token"
        gnap = GNAPGrant(request: request, key: key, serverAudiences: serverAudiences)
    }
}
