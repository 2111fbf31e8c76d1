public import TesseraProtocol

/// What a client asks of the engine, whichever door it came through: the rights, where they are to
/// be used, for whom, and the evidence it holds. Each door translates its wire request into one of
/// these (the OAuth token endpoint's form, RFC 6749 §3.2; the GNAP grant request, RFC 9635 §2).
public struct AccessRequest: Sendable {
    /// The rights asked for, in each vocabulary the doors speak. Cedar sets (RFC 9396 entries or GNAP
    /// access objects with `"rarFormat": "cedar"`) travel as entries of ``authorizationDetails`` or ``access``.
    public struct Rights: Sendable {
        /// Simple rights: OAuth `scope` tokens (RFC 6749 §3.3); `nil` when none were named, so the
        /// registered (or parent's) rights are offered.
        public var scope: Scope?
        /// RFC 9396 `authorization_details` entries, checked for shape.
        public var authorizationDetails: [JSONValue]?
        /// GNAP `access` rights (RFC 9635 §8).
        public var access: [GNAPAccessRight] = []
    }

    /// For whom the token is wanted.
    public enum Subject: Sendable, Hashable {
        /// The client itself (OAuth client credentials, a GNAP instance acting for itself).
        case client
        /// Whoever the evidence names (the person behind a code, a subject token, a grant).
        case evidence
        /// A person the client names, to be approved by a resource owner (RFC 9635 §2.2).
        case person(formats: [String])
    }

    public var rights: Rights
    /// RFC 8707 `resource` indicators, in request order.
    public var resources: [String] = []
    /// RFC 8693 §2.1 `audience` values (logical names of target services).
    public var audiences: [String] = []
    public var subject: Subject
    public var evidence: Evidence
    /// The answer to an earlier client challenge, on its retry.
    public var challengeAnswer: ClientChallengeAnswer?
    /// The door's own name for the request kind: the OAuth `grant_type`, or `gnap` (the decision
    /// vocabulary's `context.grantType`).
    public var kind: String
    /// What the GNAP door keeps with the grant it asks for; `nil` at the OAuth door.
    var gnap: GNAPGrant?
    /// The request exactly as sent at the OAuth door, for what binds to its bytes: the client
    /// challenge's request digest (draft-kahrer-oauth-client-challenge-protocol-00 §5) and extension
    /// parameters of chaining profiles. Empty at the GNAP door.
    public var presented = FormParameters([])
}

extension AccessRequest {
    /// The decision point's question for this request (docs/policy.md): the client, the engine
    /// operation, the audiences asked for, and the person the token would act for.
    /// - Parameters:
    ///   - operation: the engine operation.
    ///   - client: who asks.
    ///   - user: the person the token acts for, when it is not the client.
    ///   - audiences: the audiences, when not the request's resources.
    /// - Returns: the question; GNAP rights are filled in, OAuth scope by the scope translation.
    func question(
        _ operation: AccessQuestion.Operation,
        by client: ClientIdentity,
        user: String? = nil,
        audiences: [String]? = nil
    )
        -> AccessQuestion
    {
        let party = client.party
        return AccessQuestion(
            party: party,
            operation: operation,
            rights: rights.access.map(\.typeOrReference),
            audiences: audiences ?? resources,
            user: user,
            door: party.door,
            grantType: kind
        )
    }
}
