import TesseraProtocol
import TesseraStorage

/// Who asks, as the engine sees it whichever door they came through: the party, how it was
/// authenticated (RFC 6749 §2.3 client authentication, RFC 9635 §7.3 key proofing) and where it is
/// registered, and the key it proved possession of with this request (``provenKey``): a DPoP key may
/// change from one request to the next, so an identity is made per request.
public struct ClientIdentity: Sendable {
    /// Where the party is registered, and what that registration says.
    public enum Registration: Sendable {
        /// An OAuth client authenticated at the token endpoint (RFC 6749 §2.3).
        case oauth(AuthenticatedClient)
        /// A GNAP client instance (RFC 9635 §2.3): registered under `instanceID`, or only known by its key.
        case gnap(instanceID: String?, allowedAccess: Set<String>, thumbprint: String)
    }

    public var registration: Registration
    /// The key the client proved possession of with this request (a DPoP proof, RFC 9449 §4.3; the
    /// GNAP client key's proof, RFC 9635 §7.3), which the issued tokens are bound to; `nil` for bearer.
    public var provenKey: ProvenKey?

    /// - Parameters:
    ///   - registration: who the party is.
    ///   - provenKey: the key proven with this request, if any.
    public init(_ registration: Registration, provenKey: ProvenKey? = nil) {
        self.registration = registration
        self.provenKey = provenKey
    }

    /// `client_id`, the GNAP `instance_id`, or `jkt:<thumbprint>` for an unregistered GNAP key.
    public var id: String {
        switch registration {
        case .oauth(let client): client.id
        case .gnap(let instance, _, let thumbprint): instance ?? "jkt:" + thumbprint
        }
    }

    /// The party as the decision vocabulary sees it (docs/policy.md).
    public var party: AccessQuestion.Party {
        switch registration {
        case .oauth(let client): AccessQuestion.Party(oauth: client.record)
        case .gnap(let instance, let allowed, _):
            AccessQuestion.Party(id: id, door: .gnap, registered: instance != nil, scopes: instance == nil ? [] : allowed)
        }
    }

    /// Whether `holder` is this party (constant time). OAuth clients (RFC 6749 §2.2) and GNAP instances or keys
    /// (RFC 9635 §2.3, §7.1) are different name spaces: a client never holds a same-named instance's token.
    /// - Parameter holder: who a token or grant was issued to.
    /// - Returns: whether it is this party.
    public func holds(_ holder: TokenHolder) -> Bool {
        switch (registration, holder) {
        case (.oauth(let client), _): holder.isOAuthClient(client.id)
        case (.gnap(let party?, _, _), .gnapInstance(let id)), (.gnap(nil, _, let party), .gnapKey(let id)):
            ConstantTime.equals(Array(party.utf8), Array(id.utf8))
        default: false
        }
    }
}
