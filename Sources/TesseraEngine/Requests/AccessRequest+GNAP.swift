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
    /// door hands out (§5).
    struct GNAPGrant: Sendable {
        var request: GNAPGrantRequest
        var key: GNAPKey
        var continuationHash: String
        /// A continuation (RFC 9635 §5): the grant as the door read it, the hash of the token presented
        /// (the store's compare-and-swap expects it) and a modification's body (§5.3).
        var continued: Continued?
        /// The key proof's nonces, spent in the commit that records the grant (``GNAPStore/createGrant(_:issued:spending:)``).
        var nonces: [SingleUseSpend] = []
    }

    typealias Continued = (grant: GNAPGrantRecord, presentedHash: String, patch: GNAPGrantRequest?)

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
}
