import Foundation
import TesseraProtocol
import TesseraStorage

/// The token an RFC 9767 §4 derived token is derived from: recorded as its ledger parent (so revoking it
/// cascades, docs/token-ledger.md), the derived token expires no later, and its audience stays within the
/// parent's: the parent's audience when its rights name no `locations`, never the AS's default one
/// (``DerivedTokenRules/audience(requested:within:)``, as for an RFC 8693 exchange).
struct DerivedParent: Sendable, Hashable {
    var jti: String
    var expiresAt: Date
    var audience: [String]
}

extension GNAPService {
    /// The GNAP door's translation of a derived-token request (RFC 9767 §4). A registered resource server,
    /// acting as a client with its own key in `client` and signing like any client, presents the token it
    /// received as `existing_access_token` in an ordinary grant request: it is identified, its key proof
    /// verified (its own key, never the token's: RFC 9767 §3.2, §4; nonces are single use) and the request
    /// checked for shape; ``derive(_:client:)`` decides.
    /// - Parameters:
    ///   - request: the decoded grant request.
    ///   - existing: the `existing_access_token` value.
    ///   - client: the request's `client` member (the resource server).
    ///   - presented: the request as received, for the key proof.
    /// - Returns: the request for the engine; it has no continuation.
    /// - Throws: ``GNAPError`` `invalid_client` (not a registered resource server, or the key proof failed),
    ///   `invalid_request` (malformed); store failures as they are.
    func translate(
        deriving request: GNAPGrantRequest,
        existing: String,
        client: GNAPClientReference,
        _ presented: GNAPPresentedRequest
    ) async throws -> Asked {
        let party: GNAPRegistry.Party?
        switch client {
        case .instance(let id):
            party = try await registry.party(id: id)
        case .value(let value):
            try Self.checkKeyFormat(value.key)
            party = try await registry.party(thumbprint: try Self.thumbprint(of: value.key))
        }
        guard let party, let server = party.resourceServer else {
            throw GNAPError(.invalidClient, "only a registered resource server may present existing_access_token (RFC 9767 §4)")
        }
        try await proofs.verify(presented, key: party.key)
        guard request.interact == nil, request.subject == nil, request.user == nil else {
            throw GNAPError(
                .invalidRequest,
                "a derived token request involves no person: no interact, subject or user with existing_access_token (RFC 9767 §4)"
            )
        }
        guard request.accessToken != nil else {
            throw GNAPError(.invalidRequest, "a derived token request needs access_token (RFC 9767 §4)")
        }
        try validate(request, instance: party.instance)
        // The types the resource server may hold, as a token exchange checks the receiving client's (round 13, L9).
        for token in request.accessToken?.requests ?? [] { try checkTypedRights(token.access, clientID: party.id) }
        var stored = request
        stored.client = nil
        stored.existingAccessToken = nil
        let thumbprint = try Self.thumbprint(of: party.key)
        return Asked(
            request: AccessRequest(deriving: stored, from: existing, key: party.key, serverAudiences: server.audiences),
            client: ClientIdentity(
                .gnap(instanceID: party.id, allowedAccess: party.instance?.allowedAccess ?? [], thumbprint: thumbprint),
                provenKey: ProvenKey(gnapProof: party.key.proof.method, thumbprint: thumbprint)
            ),
            continuation: nil
        )
    }

    /// The engine's part of a derived-token request (RFC 9767 §4), for ``GrantEngine/answer(_:from:)``. A
    /// token is issued only if the presented token is ours and active, meant for this resource server (one
    /// of its audiences), the requested access stays within the token's (``GNAPRightsCoverage``: narrow,
    /// never widen; a `bearer` flag only when the token itself is bearer, RFC 9635 §2.1.1, RFC 9767 §6.6),
    /// and the one decision point permits `Action::"exchange"`, as for RFC 8693 at the token
    /// endpoint. The derived token is bound to the resource server's key, carries the parent's subject,
    /// expires no later than the parent, and records the parent in the ledger, so revoking the parent
    /// revokes it. The grant has no continuation: there is no person to ask and nothing to poll for.
    /// - Parameters:
    ///   - asked: the request, as ``AccessRequest/init(deriving:from:key:serverAudiences:)`` made it.
    ///   - client: the resource server.
    /// - Returns: the derived token(s), or the refusal (`request_denied` when the token is not meant for this
    ///   resource server, more access is asked than it carries, a bearer token from a bound one, or policy refuses).
    /// - Throws: ``GNAPError`` `invalid_request` when the existing token is not an active token of ours;
    ///   store failures as they are.
    func derive(_ asked: AccessRequest, client: ClientIdentity) async throws -> GrantOutcome {
        guard case .existingToken(let existing) = asked.evidence, let derivation = asked.gnap,
            let audiences = derivation.serverAudiences, let tokens = derivation.request.accessToken,
            case .gnap(let serverID?, _, let thumbprint) = client.registration
        else { return .denied(Refusal(.unsupportedEvidence, "a derived token is asked for with existing_access_token (RFC 9767 §4)")) }
        guard existing.utf8.count <= 16_384, let parent = try await ledger.entry(for: existing), parent.active else {
            throw GNAPError(.invalidRequest, "existing_access_token is not an active access token issued here (RFC 9767 §4)")
        }
        // A GNAP token is derived from only while it stands on its grant's approval, as rotation requires. The derived
        // token stands on that same approval: a Cedar right's `valid_for` window keeps its start (second review, G4);
        // an OAuth parent carries its window in its granted text, and was issued no earlier than its approval.
        var approvedAt = parent.issuedAt
        if let managed = try await stores.gnap.token(jti: parent.jti), let grant = try await stores.gnap.grant(id: managed.grantID) {
            let current = try Self.decode(GNAPGrantRequest.self, from: Array(grant.request.utf8))
            guard Self.stands(managed, issuedTo: parent.subject, under: grant, request: current) else {
                throw GNAPError(
                    .invalidRequest,
                    "existing_access_token no longer stands on its grant's approval (RFC 9635 §5.3, RFC 9767 §4)"
                )
            }
            approvedAt = Self.approvalTime(of: grant)
        }
        guard !Set(parent.audience).isDisjoint(with: audiences) else {
            return .denied(
                Refusal(.audienceRefused, "existing_access_token is not meant for this resource server (RFC 9767 §4, §6.2)")
            )
        }
        // The rule a modified grant obeys (RFC 9635 §5.3): the parent's rights, and `bearer` only from a bearer
        // parent, since a bearer copy of a bound token could be used by anyone holding it (RFC 9767 §6.6).
        let held = GNAPTokenRequests.single(
            GNAPTokenRequest(access: parent.gnapAccess, flags: parent.binding == .bearer ? ["bearer"] : nil)
        )
        guard GNAPRightsCoverage.covers(held, tokens) else {
            return .denied(
                Refusal(
                    .rightsRefused,
                    "a derived token may carry only access the existing token carries, and is bearer only if it is (narrow, never widen; RFC 9767 §4, §6.6)"
                )
            )
        }
        // Never an audience the parent does not have (RFC 8693 §2.1 and RFC 8707 §2.2 as at the token endpoint):
        // the rights' locations, when they name some, must be among the parent's audience (docs/SECURITY.md).
        for token in tokens.requests where !Self.audienceStaysWithin(parent.audience, token) {
            return .denied(
                Refusal(
                    .audienceRefused,
                    "a derived token may only narrow the existing token's audience: its locations must be audiences of existing_access_token (RFC 9767 §4, RFC 8707 §2.2)"
                )
            )
        }
        let user = parent.subject == serverID ? nil : parent.subject
        // Asked about the resource server's audiences and every audience the derived tokens will carry: their rights'
        // locations, else the parent's whole audience (review round 12, K1, as J1 and J2 at the token endpoint).
        let carried = tokens.requests.flatMap { token -> [String] in
            let locations = token.access.flatMap { right -> [String] in
                if case .object(let object) = right { object.locations ?? [] } else { [] }
            }
            return locations.isEmpty ? parent.audience : locations
        }
        let asking = Set(audiences).union(carried).subtracting([issuerID]).sorted()
        if let refusal = Self.refusal(decisions.decide(asked.question(.exchange, by: client, user: user, audiences: asking))) {
            return .denied(refusal)
        }
        // Within the parent's rights: its Cedar rights of each type left out stay with the other rights kept
        // (GNAPGrantCarry, review round 10 H8), and its forbids with the Cedar rights kept (GNAPForbidCarry, H1).
        var request = derivation.request
        request.accessToken = GNAPCedarCarry.carry(from: held, into: tokens)
        let current = now()
        let grant = GNAPGrantRecord(
            id: TokenIssuer.sortableIdentifier(),
            state: .approved,
            clientKey: try Self.encode(derivation.key),
            keyThumbprint: thumbprint,
            instanceID: serverID,
            request: try Self.encode(request),
            continuationHash: nil,
            continueAfter: current,
            subject: parent.subject,
            createdAt: current,
            updatedAt: current,
            expiresAt: min(parent.expiresAt, current.addingTimeInterval(configuration.grantLifetime)),
            approvedAt: approvedAt
        )
        let (minted, issued) = try await mintTokens(
            for: request,
            grant: grant,
            parent: DerivedParent(jti: parent.jti, expiresAt: parent.expiresAt, audience: parent.audience)
        )
        try await stores.gnap.createGrant(grant, issued: issued)
        return .granted(.init(tokens: minted, grantID: grant.id))
    }

    /// For a rotation: the parent of a derived token (its ledger `exchange` edge), so the new value stays
    /// derived and expires no later; `nil` for a token of an ordinary grant.
    /// - Parameter jti: the rotated token's `jti`.
    /// - Returns: the parent, or `nil`.
    /// - Throws: ``GNAPError`` `invalid_rotation` when the token or its parent is no longer active (a
    ///   cascade revoked it); store failures.
    func derivedParent(ofTokenJTI jti: String) async throws -> DerivedParent? {
        guard let record = try await stores.tokens.accessToken(jti: jti) else { return nil }
        guard record.revokedAt == nil else { throw GNAPError(.invalidRotation, "the token was revoked") }
        guard let parentID = record.parent?.tokenID else { return nil }
        guard let parent = try await stores.tokens.accessToken(jti: parentID), parent.isActive(at: now()) else {
            throw GNAPError(.invalidRotation, "the token this one was derived from is no longer active (RFC 9767 §4)")
        }
        return DerivedParent(jti: parent.jti, expiresAt: parent.expiresAt, audience: parent.audience)
    }

    /// Whether the token asked for stays within the parent's audience: the `locations` its rights name, if any,
    /// are all audiences of the parent (none named: it gets the parent's audience, ``DerivedParent``).
    /// - Parameters:
    ///   - audience: the parent token's `aud`.
    ///   - token: one token of the derived-token request.
    /// - Returns: `false` when a location is not among the parent's audience.
    static func audienceStaysWithin(_ audience: [String], _ token: GNAPTokenRequest) -> Bool {
        let locations = token.access.flatMap { right -> [String] in
            if case .object(let object) = right { object.locations ?? [] } else { [] }
        }
        return (try? DerivedTokenRules.audience(requested: locations.isEmpty ? nil : locations, within: audience)) != nil
    }

    /// The registered instance a grant names, if it is still registered.
    /// - Parameter id: the grant's `instance_id`.
    /// - Returns: the instance, or `nil`.
    /// - Throws: a store failure.
    func registeredInstance(_ id: String?) async throws -> GNAPConfiguration.Instance? {
        guard let id else { return nil }
        return try await registry.party(id: id)?.instance
    }

    /// A grant made by a registered party (an instance, or a resource server's derived grant) continues only
    /// while that party is registered with the same key: removing it (`tessera clients remove`, or from the
    /// configuration file) ends its grants, so no new token is minted for a party that is gone. A grant of an
    /// unregistered key continues only while `allow_unknown_clients` holds: turning it off (after an incident, say)
    /// ends those grants as it refuses new ones (review round 11, J6).
    /// - Parameters:
    ///   - grant: the grant being continued or whose token is managed.
    ///   - errorCode: the refusal's code for this endpoint.
    /// - Throws: ``GNAPError`` with `errorCode`; store failures.
    func requireRegistered(_ grant: GNAPGrantRecord, errorCode: GNAPError.Code) async throws {
        guard let id = grant.instanceID else {
            guard configuration.allowUnknownClients else { throw GNAPError(errorCode, "this client key is not registered") }
            return
        }
        guard let party = try await registry.party(id: id), party.instance != nil || party.resourceServer != nil,
            (try? Self.thumbprint(of: party.key)) == grant.keyThumbprint
        else { throw GNAPError(errorCode, "the client instance of this grant is no longer registered") }
    }
}
