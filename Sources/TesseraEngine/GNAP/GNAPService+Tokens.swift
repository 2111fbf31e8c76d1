import Foundation
public import TesseraProtocol
import TesseraStorage

extension GNAPService {
    /// Mints the tokens a grant asks for, in the request's order (RFC 9635 §3.2): bound to the
    /// client key (`cnf.jkt`, or `cnf.x5t#S256` for an mtls certificate) unless `bearer` was asked and allowed, audience-restricted to the
    /// rights' `locations` (the audience rule both doors share, ``ResourceCheck``), each with its own management URI and token.
    /// With `parent` (an RFC 9767 §4 derived token), each token records that token as its parent and expires no later.
    ///
    /// A Cedar-profile right's `valid_for` window counts from the approval the grant stands on (``approvalTime(of:)``),
    /// never from this request: a continuation (RFC 9635 §5) or a modification the approval covers (§5.3) is no new
    /// approval, so every token minted under one approval ends its window at the same time (second review, G4).
    /// - Parameters:
    ///   - request: the grant request.
    ///   - grant: the grant the tokens belong to.
    ///   - parent: the token they are derived from, if any.
    /// - Returns: the tokens, door-neutral, and their records (stored with the grant by the caller).
    /// - Throws: refusals of Cedar-profile rights; store failures.
    func mintTokens(
        for request: GNAPGrantRequest,
        grant: GNAPGrantRecord,
        parent: DerivedParent? = nil
    ) async throws -> ([GrantOutcome.IssuedToken], [GNAPIssuedToken]) {
        var minted: [GrantOutcome.IssuedToken] = []
        var issued: [GNAPIssuedToken] = []
        for token in request.accessToken?.requests ?? [] {
            // Cedar-profile rights are decided and narrowed once, here; rotation re-mints what was granted.
            var granted = token
            granted.access = try grantedAccess(
                token.access,
                grant: grant,
                subject: grant.subject ?? grant.instanceID ?? grant.keyThumbprint,
                approvedAt: Self.approvalTime(of: grant)
            )
            let (response, record) = try await mint(granted, grant: grant, manageID: TokenIssuer.sortableIdentifier(), parent: parent)
            minted.append(response)
            issued.append(record)
        }
        return (minted, issued)
    }

    /// When the approval a grant stands on was given: the start of its Cedar rights' `valid_for` windows. A grant
    /// approved before this was recorded counts from its creation, which is never later than its approval.
    /// - Parameter grant: the grant.
    /// - Returns: its approval time.
    static func approvalTime(of grant: GNAPGrantRecord) -> Date {
        grant.approvedAt ?? grant.createdAt
    }

    /// The GNAP door's rendering of issued tokens (RFC 9635 §3.2): one object for a single-token
    /// request, an array for a multi-token one (§3.2.2); `nil` when none were asked for.
    /// - Parameters:
    ///   - tokens: the tokens issued.
    ///   - request: the grant request they answer.
    /// - Returns: the `access_token` member.
    func render(_ tokens: [GrantOutcome.IssuedToken], for request: GNAPGrantRequest) -> GNAPTokenResponses? {
        let rendered = tokens.map(render)
        switch request.accessToken {
        case nil: return nil
        case .single: return rendered.first.map(GNAPTokenResponses.single)
        case .multiple: return .multiple(rendered)
        }
    }

    /// One issued token as a GNAP access token (RFC 9635 §3.2.1).
    /// - Parameter token: the token issued.
    /// - Returns: its wire shape.
    func render(_ token: GrantOutcome.IssuedToken) -> GNAPAccessToken {
        GNAPAccessToken(
            value: token.value,
            label: token.label,
            manage: token.management.map {
                GNAPManage(uri: endpoints.tokenBase + $0.id, accessToken: GNAPTokenValue(value: $0.token))
            },
            access: token.access,
            expiresIn: token.expiresIn,
            flags: token.isBearer ? ["bearer"] : nil
        )
    }

    /// Mints one token value and its management token under `manageID`: the one issuer stamps, signs and
    /// describes it; GNAP adds its `access`, key binding and management.
    /// With `parent` (RFC 9767 §4), the token records it, expires no later than it, and has its audience unless
    /// its rights name `locations`.
    /// - Parameters:
    ///   - token: the token asked for, with its granted access.
    ///   - grant: the grant it belongs to.
    ///   - manageID: the id of its management URI.
    ///   - parent: the token it is derived from, if any.
    ///   - subject: whom the token is about; the grant's approver (or its holder) when `nil`. A rotation passes
    ///     the rotated token's own subject (RFC 9635 §6.1), never the grant's state of the moment.
    /// - Returns: the token, door-neutral, and its records.
    /// - Throws: when it cannot be minted or its access encoded.
    func mint(
        _ token: GNAPTokenRequest,
        grant: GNAPGrantRecord,
        manageID: String,
        parent: DerivedParent? = nil,
        subject: String? = nil
    ) async throws -> (GrantOutcome.IssuedToken, GNAPIssuedToken) {
        let bearer = token.flags?.contains("bearer") == true
        let holder = grant.instanceID ?? grant.keyThumbprint
        let locations = token.access.flatMap { right -> [String] in
            if case .object(let object) = right { object.locations ?? [] } else { [] }
        }
        var request = TokenIssuer.Grant(
            grantID: grant.id,
            clientID: holder,
            subject: subject ?? grant.subject ?? holder,
            scope: .empty,
            audience: try ResourceCheck(defaultAudience: parent?.audience ?? [issuerID]).audience(for: [], locations: locations),
            includeRefreshToken: false
        )
        request.confirmation = bearer ? nil : try confirmation(for: grant)
        request.access = token.access
        request.parent = parent.map { TokenParent(.exchange, $0.jti) } ?? TokenParent(.gnap)
        request.expiresNoLaterThan = parent?.expiresAt
        let minted = try await issuer.mint(request)
        let management = TokenIssuer.randomIdentifier()
        let record = GNAPIssuedToken(
            token: GNAPTokenRecord(
                manageID: manageID,
                managementHash: TokenIssuer.hashToken(management),
                grantID: grant.id,
                jti: minted.issuance.accessToken.jti,
                label: token.label,
                access: try Self.encodeAccess(token.access),
                flags: bearer ? ["bearer"] : [],
                createdAt: minted.issuance.accessToken.issuedAt
            ),
            accessToken: minted.issuance.accessToken
        )
        let issued = GrantOutcome.IssuedToken(
            value: minted.response.accessToken,
            tokenType: bearer ? "Bearer" : "GNAP",
            expiresIn: minted.response.expiresIn,
            access: token.access,
            label: token.label,
            management: .init(id: manageID, token: management)
        )
        return (issued, record)
    }

    /// The token's key binding: `cnf.jkt` for a JWK, `cnf.x5t#S256` for an mtls certificate (RFC 8705 §3.1).
    private func confirmation(for grant: GNAPGrantRecord) throws -> Confirmation {
        // Only certificate keys are stored with a "cert" member; JWK keys skip decoding the key.
        guard Self.mayHoldCertificate(grant.clientKey) else { return Confirmation(jkt: grant.keyThumbprint) }
        let key = try Self.decode(GNAPKey.self, from: Array(grant.clientKey.utf8))
        return key.jwk == nil ? Confirmation(jkt: nil, x5tS256: grant.keyThumbprint) : Confirmation(jkt: grant.keyThumbprint)
    }

    /// Whether a stored client key's text has `"cert` in it, as a `"cert"` member would: searched in its UTF-8 bytes
    /// (issue 22), because `String.contains` goes through `NSString` on Linux, about 4 µs a token.
    /// - Parameter clientKey: The key as stored with its grant.
    /// - Returns: `false` when the key certainly has no certificate; `true` when it may (the caller decodes it).
    static func mayHoldCertificate(_ clientKey: String) -> Bool {
        let needle = certificateMarker
        var text = clientKey
        return text.withUTF8 { bytes in
            guard bytes.count >= needle.count else { return false }
            for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] {
                var index = 1
                while index < needle.count, bytes[start + index] == needle[index] { index += 1 }
                if index == needle.count { return true }
            }
            return false
        }
    }

    private static let certificateMarker = Array("\"cert".utf8)

    /// A token's access rights as stored with it: read back as JSON for rotation and introspection, never hashed
    /// or compared as text, so the hand-written form (``JSONOutput``) does.
    static func encodeAccess(_ access: [GNAPAccessRight]) throws -> String {
        var out = JSONOutput(capacity: 512)
        try out.array { (out: inout JSONOutput) throws(JSONOutput.Unrepresentable) in
            for right in access { try right.write(to: &out) }
        }
        return String(decoding: out.bytes, as: UTF8.self)
    }

    // MARK: - Token management (RFC 9635 §6)

    /// The GNAP door's translation of a rotation (`POST` to the management URI, RFC 9635 §6.1): the
    /// management token matched and the grant's key proven, the body checked, and the token's rights as
    /// stored asked for again; ``rotate(_:client:)`` decides.
    /// - Parameters:
    ///   - manageID: the id in the management URI.
    ///   - presented: the request as received.
    /// - Returns: the request for the engine; it has no continuation.
    /// - Throws: ``GNAPError`` `invalid_rotation` (unknown URI or token), `key_rotation_not_supported`,
    ///   `invalid_request` (a body); proof failures; store failures.
    func translate(managing manageID: String, _ presented: GNAPPresentedRequest) async throws -> Asked {
        let (managed, key, client) = try await authorizeManagement(manageID: manageID, presented, errorCode: .invalidRotation)
        let record = managed.token
        if !presented.body.isEmpty {
            if let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(presented.body)), object["key"] != nil {
                throw GNAPError(.keyRotationNotSupported, "this server does not rotate token keys (RFC 9635 §6.1.1)")
            }
            throw GNAPError(.invalidRequest, "a rotation request has no body, or only 'key'")
        }
        let access = try Self.decode([GNAPAccessRight].self, from: Array(record.access.utf8))
        let token = GNAPTokenRequest(access: access, label: record.label, flags: record.flags.isEmpty ? nil : record.flags)
        let request = GNAPGrantRequest(accessToken: .single(token))
        var asked = AccessRequest(gnap: request)
        (asked.evidence, asked.kind) = (Evidence.managedToken(manageID: manageID), "rotation")
        asked.gnap = AccessRequest.GNAPGrant(request: request, key: key, managed: managed)
        return Asked(request: asked, client: client, continuation: nil)
    }

    /// The engine's part of a rotation (RFC 9635 §6.1), for ``GrantEngine/answer(_:from:)``: a new value with
    /// the same access, the old one revoked. A new value lives a new lifetime, as a refresh does (RFC 6749 §6),
    /// so the one decision point is asked `Action::"refresh"` for the token's rights, and an owner's rule
    /// written since the grant holds here too. A derived token (RFC 9767 §4) stays derived: same parent, never
    /// outliving it, never from a revoked lineage. The store swaps the value only if the management token
    /// presented is still the current one (compare-and-swap).
    ///
    /// It is the same token with a new value: its subject, and the person the policy is asked about, are the
    /// token's own (its ledger record), never the grant's state of the moment — a modification (§5.3) that
    /// approves the grant again may name someone else. Only a token of an approved grant within
    /// its lifetime is rotated: a grant waiting for a person again, or past the end after which it can no
    /// longer be continued (RFC 9635 §5), renews nothing; and only a token that still stands on the grant's
    /// approval (``stands(_:issuedTo:under:request:)``): issued to the grant's current approver, with rights
    /// the grant still holds.
    /// - Parameters:
    ///   - asked: the request, as ``translate(managing:_:)`` made it.
    ///   - client: the grant's client.
    /// - Returns: the new token, or the policy's refusal.
    /// - Throws: ``GNAPError`` `invalid_rotation` (the token or grant revoked, the grant not approved or
    ///   expired, the token no longer standing on the grant's approval, the management token already used);
    ///   store failures.
    func rotate(_ asked: AccessRequest, client: ClientIdentity) async throws -> GrantOutcome {
        guard case .managedToken(let manageID) = asked.evidence, let managed = asked.gnap?.managed,
            managed.token.manageID == manageID, case .single(let token)? = asked.gnap?.request.accessToken
        else { return .denied(Refusal(.unsupportedEvidence, "a token is rotated at its management URI (RFC 9635 §6.1)")) }
        let (record, grant) = (managed.token, managed.grant)
        guard record.revokedAt == nil else { throw GNAPError(.invalidRotation, "the token was revoked") }
        guard grant.state != .finalized else { throw GNAPError(.invalidRotation, "the grant was revoked") }
        guard grant.state == .approved else {
            throw GNAPError(
                .invalidRotation,
                "the grant is no longer approved (a modification waits for the resource owner, or was denied); its tokens are not renewed (RFC 9635 §6.1)"
            )
        }
        guard now() < grant.expiresAt else { throw GNAPError(.invalidRotation, "the grant expired; its tokens are not renewed") }
        guard let issuedAs = try await stores.tokens.accessToken(jti: record.jti) else {
            throw GNAPError(.invalidRotation, "the token is not in the ledger")
        }
        let subject = issuedAs.subject
        // Renewed only while the approval it was issued under stands: the grant's approver is still the token's
        // subject, and the grant still holds every right it carries (a modification may have replaced either).
        let current = try Self.decode(GNAPGrantRequest.self, from: Array(grant.request.utf8))
        guard Self.stands(record, issuedTo: subject, under: grant, request: current) else {
            throw GNAPError(
                .invalidRotation,
                "the token no longer stands on its grant's approval: the grant was approved again for someone else, or no longer holds all of its rights (RFC 9635 §5.3, §6.1)"
            )
        }
        let parent = try await derivedParent(ofTokenJTI: record.jti)
        // Every token, a person's, the instance's own or a derived one, holds only the types its client may now hold.
        if let refusal = typeRefusal(token.access, client: client) { return .denied(refusal) }
        // A token of an instance's own grant is renewed only as the instance may now hold it (review round 11, J6):
        // `bearer` while `allow_bearer` holds, and, approved for itself, while its own policy still approves it.
        if parent == nil {
            guard Self.mayHold(token, instance: try await registeredInstance(grant.instanceID)) else {
                throw GNAPError(.invalidRotation, "this client may no longer hold bearer tokens (allow_bearer); it is not renewed")
            }
            if subject == grant.instanceID, let refusal = redecide(asked, client: client, approvedBy: nil) { return .denied(refusal) }
        }
        let user = subject == grant.instanceID || subject == grant.keyThumbprint ? nil : subject
        // Asked about the audience the renewed token keeps: an owner's forbid on it written since holds here too, as at
        // a refresh (review round 11, J2). The default audience (this server) is named by no request.
        let audiences = ResourceCheck(defaultAudience: [issuerID]).named(issuedAs.audience)
        if let refusal = Self.refusal(decisions.decide(asked.question(.refresh, by: client, user: user, audiences: audiences))) {
            return .denied(refusal)
        }
        let (issued, replacement) = try await mint(token, grant: grant, manageID: manageID, parent: parent, subject: subject)
        guard
            try await stores.gnap.rotateToken(
                manageID: manageID,
                expectedManagementHash: managed.presentedHash,
                replacement: replacement,
                at: now()
            )
        else { throw GNAPError(.invalidRotation, "the management token was already used") }
        return .granted(.init(tokens: [issued], grantID: grant.id))
    }

    /// The management token must match the URI, and the request must prove the grant's key (RFC 9635 §6).
    /// - Returns: the token's management record, its grant and the presented token's hash; the grant's key; and the
    ///   grant's client (its registered instance and `allowed_access`, or its key), which proved that key.
    func authorizeManagement(
        manageID: String,
        _ presented: GNAPPresentedRequest,
        errorCode: GNAPError.Code
    ) async throws -> (AccessRequest.Managed, GNAPKey, ClientIdentity) {
        guard let token = presented.token else {
            throw GNAPError(.invalidRequest, "token management needs Authorization: GNAP <management token>")
        }
        let hash = TokenIssuer.hashToken(token)
        guard PresentedIdentifier.isCanonical(manageID, as: .serverIdentifier),
            let record = try await stores.gnap.token(manageID: manageID),
            ConstantTime.equals(Array(record.managementHash.utf8), Array(hash.utf8)),
            let grant = try await stores.gnap.grant(id: record.grantID)
        else { throw GNAPError(errorCode, "unknown token management URI or token") }
        try await requireRegistered(grant, errorCode: errorCode)
        let key = try Self.decode(GNAPKey.self, from: Array(grant.clientKey.utf8))
        try await proofs.verify(presented, key: key)
        let instance = try await registeredInstance(grant.instanceID)
        let client = ClientIdentity(
            .gnap(instanceID: grant.instanceID, allowedAccess: instance?.allowedAccess ?? [], thumbprint: grant.keyThumbprint),
            provenKey: ProvenKey(gnapProof: key.proof.method, thumbprint: grant.keyThumbprint)
        )
        return ((record, grant, hash), key, client)
    }
}

extension GrantEngine {
    /// Rotates (`POST`) the token behind a management URI (RFC 9635 §6.1) through the one entry point: the
    /// GNAP door translates the request, ``answer(_:from:)`` decides and issues, the door words the new token.
    /// - Parameters:
    ///   - manageID: the id in the management URI.
    ///   - presented: the request as received.
    /// - Returns: the response carrying the new token.
    /// - Throws: ``GNAPError`` for a refusal; store failures propagate.
    public func rotateGNAPToken(manageID: String, _ presented: GNAPPresentedRequest) async throws -> GNAPGrantResponse {
        let asked = try await gnap.translate(managing: manageID, presented)
        switch try await answer(asked.request, from: asked.client) {
        case .granted(let granted): return GNAPGrantResponse(accessToken: granted.tokens.first.map { .single(gnap.render($0)) })
        case .denied(let refusal): throw refusal.gnap
        case .needsInteraction, .needsClientEvidence: throw GNAPError(.invalidRotation, "a rotation waits for no one")
        }
    }
}
