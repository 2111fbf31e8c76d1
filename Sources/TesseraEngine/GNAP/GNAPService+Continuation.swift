import Foundation
import HTTPMessageSignatures
public import TesseraProtocol
import TesseraStorage

extension GrantEngine {
    /// Continues a grant (RFC 9635 §5): polling (§5.2), an interaction reference (§5.1) and a
    /// modification (§5.3) are answered by ``answer(_:from:)``; `DELETE` (§5.4) by ``revoke(_:by:)``.
    /// - Parameters:
    ///   - id: the grant id from the continuation URI.
    ///   - presented: the request as received (`POST`, `PATCH` or `DELETE`).
    /// - Returns: the grant response with a new continuation token; `nil` once the grant is revoked.
    /// - Throws: ``GNAPError`` for a refusal; store failures propagate.
    public func continueGNAPGrant(id: String, _ presented: GNAPPresentedRequest) async throws -> GNAPGrantResponse? {
        let asked = try await gnap.translate(continuing: id, presented)
        guard presented.message.method == "DELETE", let continued = asked.request.gnap?.continued else {
            return try await gnap.respond(try await answer(asked.request, from: asked.client), to: asked)
        }
        if let refusal = try await revoke(.grant(continued.grant, presentedHash: continued.presentedHash), by: .client(asked.client)) {
            throw refusal.gnap
        }
        return nil
    }
}

extension GNAPService {
    /// The GNAP door's translation of a continuation (RFC 9635 §5): the token matched and the key
    /// proven once (a retry must not re-check its single-use nonce), the body checked for the method,
    /// and the evidence: a finished interaction's `interact_ref` (§5.1) or the continuation itself.
    func translate(continuing id: String, _ presented: GNAPPresentedRequest) async throws -> Asked {
        guard let token = presented.token else {
            throw GNAPError(.invalidContinuation, "continuation needs Authorization: GNAP <continuation token> (RFC 9635 §5)")
        }
        let presentedHash = TokenIssuer.hashToken(token)
        guard PresentedIdentifier.isCanonical(id, as: .serverIdentifier), let grant = try await stores.gnap.grant(id: id),
            let expected = grant.continuationHash,
            ConstantTime.equals(Array(expected.utf8), Array(presentedHash.utf8))
        else { throw GNAPError(.invalidContinuation, "the continuation URI and token do not match an active grant") }
        try await requireRegistered(grant, errorCode: .invalidContinuation)
        let key = try Self.decode(GNAPKey.self, from: Array(grant.clientKey.utf8))
        try await proofs.verify(presented, key: key)
        var request = try Self.decode(GNAPGrantRequest.self, from: Array(grant.request.utf8))
        var evidence = Evidence.continuation(grantID: grant.id)
        var patch: GNAPGrantRequest?
        if presented.message.method == "PATCH" {
            let body = try Self.decode(GNAPGrantRequest.self, from: presented.body)
            guard body.client == nil, body.interactRef == nil else {
                throw GNAPError(.invalidRequest, "a modification must not carry 'client' or 'interact_ref' (RFC 9635 §5.3)")
            }
            (request.accessToken, request.subject, patch) = (body.accessToken ?? request.accessToken, body.subject ?? request.subject, body)
        } else if presented.message.method == "POST", !presented.body.isEmpty {
            let body = try Self.decode(GNAPGrantRequest.self, from: presented.body)
            guard body.accessToken == nil, body.client == nil, body.subject == nil, body.interact == nil else {
                throw GNAPError(.invalidRequest, "a continuation POST carries only interact_ref; use PATCH to modify (RFC 9635 §5)")
            }
            if let interactRef = body.interactRef { evidence = .interactionResult(interactRef: interactRef) }
        }
        let continuation = TokenIssuer.randomIdentifier()
        var asked = AccessRequest(gnap: request, key: key, continuationHash: TokenIssuer.hashToken(continuation))
        asked.evidence = evidence
        asked.gnap?.continued = (grant, presentedHash, patch)
        let instance = try await registeredInstance(grant.instanceID)
        // The registration of the day decides a renewal too (review round 11, J6): no bearer token once `allow_bearer` is off.
        let renewed = request.accessToken?.requests ?? []
        guard presented.message.method == "DELETE" || renewed.allSatisfy({ Self.mayHold($0, instance: instance) }) else {
            throw GNAPError(.invalidFlag, "this client may no longer hold bearer tokens (allow_bearer); PATCH for key-bound tokens")
        }
        let client = Self.identity(instance: instance, thumbprint: grant.keyThumbprint, proof: key.proof.method)
        return Asked(request: asked, client: client, continuation: continuation)
    }

    /// Runs `step` on the grant until the store takes its write: a resource owner may decide while
    /// the request runs, the store refuses to overwrite that decision (compare-and-swap on the
    /// continuation hash and the state), and the request is answered from the new state instead.
    func retrying<T>(_ continued: AccessRequest.Continued, _ step: (GNAPGrantRecord) async throws -> T?) async throws -> T {
        var current = continued.grant
        for _ in 0..<3 {
            guard current.state != .finalized else { throw GNAPError(.invalidContinuation, "the grant is finalized") }
            guard now() < current.expiresAt else {
                _ = try await finalize(&current, expected: continued.presentedHash, state: current.state)
                throw GNAPError(.invalidContinuation, "the grant expired")
            }
            if let done = try await step(current) { return done }
            guard let reread = try await stores.gnap.grant(id: current.id), reread.continuationHash == continued.presentedHash else {
                throw GNAPError(.invalidContinuation, "the continuation token was already used")
            }
            current = reread
        }
        throw GNAPError(.invalidContinuation, "the grant kept changing; continue again")
    }

    /// One attempt at moving a continued grant on, for ``GrantEngine/answer(_:from:)``; `nil` when the
    /// stored grant (or the interaction reference spent) changed since it was read. An approved
    /// grant is decided again, with the approving person as `user` (``redecide(_:client:approvedBy:)``),
    /// so a policy written since the approval refuses its tokens.
    func advance(_ grant: GNAPGrantRecord, _ asked: AccessRequest, client: ClientIdentity) async throws -> GrantOutcome? {
        guard let continued = asked.gnap?.continued, let continuationHash = asked.gnap?.continuationHash else {
            throw GNAPError(.invalidContinuation, "no grant is continued")
        }
        var grant = grant
        let readState = grant.state
        let current = now()
        // An interaction reference is single use (RFC 9635 §5.1): accepted once, for this grant only.
        var spending: String?
        if case .interactionResult(let interactRef) = asked.evidence {
            spending = try await usableInteractRef(interactRef, grant: grant)
            guard spending != nil else {
                guard grant.state == .pending else {
                    _ = try await finalize(&grant, expected: continued.presentedHash, state: readState)
                    throw GNAPError(
                        .tooManyAttempts,
                        "this interact_ref is unknown or was already used; the grant is finalized (RFC 9635 §5.1)"
                    )
                }
                throw GNAPError(.invalidInteraction, "no finished interaction of this grant has this interact_ref")
            }
        }
        var request = try Self.decode(GNAPGrantRequest.self, from: Array(grant.request.utf8))
        var interaction: (record: GNAPInteractionRecord?, response: [String: JSONValue]?)?
        if let patch = continued.patch {
            guard grant.state == .pending || grant.state == .approved else {
                throw GNAPError(.invalidContinuation, "only pending or approved grants can be modified")
            }
            let approved = grant.state == .approved ? request : nil
            if let tokens = patch.accessToken { request.accessToken = tokens }
            if let subject = patch.subject { request.subject = subject }
            if let user = patch.user { request.user = user }
            if let interact = patch.interact { request.interact = interact }
            try validate(request, instance: try await registeredInstance(grant.instanceID))
            try validateInteract(patch.interact)
            request = try await expandRegisteredReferences(in: request, for: client)
            interaction = try await modify(&grant, to: &request, approved: approved, patch: patch, client: client, at: current)
        } else if spending == nil {
            if current < grant.continueAfter { throw GNAPError(.tooFast, "continued before 'wait' elapsed (RFC 9635 §5)") }
            // A person decided through an interaction with a finish method: the client learns of it, and
            // continues, only with the interact_ref sent to its finish URI (RFC 9635 §3.3, §4.2).
            if grant.state != .pending, let interaction = try await stores.interactions.interaction(grantID: grant.id),
                interaction.state == .finished, interaction.finishMethod != nil
            {
                throw GNAPError(.invalidInteraction, "continue with the interact_ref sent to the finish URI (RFC 9635 §5.1)")
            }
        }
        if grant.state == .denied {
            guard try await finalize(&grant, expected: continued.presentedHash, state: readState) else { return nil }
            throw GNAPError(.userDenied, "the resource owner denied the request")
        }
        // The approving person is asked about as the consent page asked (a grant the client was
        // approved for itself has its instance as subject, and no person).
        let approver = grant.subject == grant.instanceID ? nil : grant.subject
        if grant.state == .approved, let refusal = redecide(AccessRequest(gnap: request), client: client, approvedBy: approver) {
            guard try await finalize(&grant, expected: continued.presentedHash, state: readState) else { return nil }
            return .denied(refusal)
        }

        grant.request = try Self.encode(request)
        grant.continuationHash = continuationHash
        grant.continueAfter = current.addingTimeInterval(TimeInterval(configuration.continuationWait))
        grant.updatedAt = current
        if let interaction {
            // Before the grant changes: a person deciding on the old page meanwhile finds it gone.
            try await stores.interactions.replaceInteraction(grantID: grant.id, with: interaction.record)
        }
        var outcome = GrantOutcome.needsInteraction(grantID: grant.id, interaction: interaction?.response)
        // A modification replaces the approval the earlier tokens were issued under (RFC 9635 §5.3): those it
        // does not cover (another subject, rights left out) end with this write, before new ones are minted.
        let superseded = continued.patch == nil ? [] : try await superseded(under: grant, request: request)
        var issued: [GNAPIssuedToken] = []
        if grant.state == .approved {
            let tokens: [GrantOutcome.IssuedToken]
            (tokens, issued) = try await mintTokens(for: request, grant: grant)
            outcome = .granted(.init(tokens: tokens, grantID: grant.id))
        }
        guard
            try await stores.gnap.updateGrant(
                grant,
                expectedContinuationHash: continued.presentedHash,
                expectedState: readState,
                issued: issued,
                consumingInteractRef: spending,
                revoking: superseded
            )
        else { return nil }
        return outcome
    }

    /// Decides a modification (RFC 9635 §5.3) of a pending or approved grant into `request`.
    ///
    /// - A registered instance's own policy approves it as it would a new request.
    /// - An approval stays only if every right (and subject information) now asked for is covered
    ///   by what was approved (``GNAPRightsCoverage``); a narrower request stays approved, and only then does each
    ///   token keep the Cedar rights and forbids of the approved token it stands on (``GNAPCedarCarry``, review
    ///   round 10 H1 and H8). A request the instance's own policy approves is a new approval, for the instance: it
    ///   gets exactly what that policy approved, nothing of the person's earlier approval (round 11, J11).
    /// - Anything else needs a person again: the grant goes back to pending, and the `interact` of
    ///   the modification starts a new interaction. Without `interact`, widening an approved grant
    ///   is refused (`request_denied`) and the grant is left as it was.
    ///
    /// Any interaction still open for the grant is cancelled by every modification that leaves the
    /// grant pending: its page showed other rights. A grant sent back to pending keeps its subject: the
    /// tokens already issued stand on that person's approval until the modification is decided.
    /// - Returns: the interaction to store in place of
    /// the grant's current one (`record` `nil`: cancel it), or `nil` to leave interactions alone.
    private func modify(
        _ grant: inout GNAPGrantRecord,
        to request: inout GNAPGrantRequest,
        approved: GNAPGrantRequest?,
        patch: GNAPGrantRequest,
        client: ClientIdentity,
        at current: Date
    ) async throws -> (record: GNAPInteractionRecord?, response: [String: JSONValue]?)? {
        switch decide(AccessRequest(gnap: request), client: client) {
        case .approved(let subject):
            // The instance's own policy approved it: nobody signed in (no `auth_time`). Approving again what it already
            // approved for the same subject is the same approval: its tokens' `valid_for` windows keep their start.
            if grant.state != .approved || grant.subject != subject || grant.approvedAt == nil { grant.approvedAt = current }
            (grant.state, grant.subject, grant.authenticatedAt) = (.approved, subject, nil)
            return nil
        case .refused(let refusal): throw refusal.gnap
        case .pending: break
        }
        if let approved, grant.subject == nil || grant.subject != grant.instanceID,
            GNAPRightsCoverage.covers(approved.accessToken, request.accessToken),
            GNAPRightsCoverage.covers(approved.subject, request.subject),
            patch.user == nil || patch.user == approved.user
        {
            request.accessToken = GNAPCedarCarry.carry(from: approved.accessToken, into: request.accessToken)
            return nil
        }
        _ = try resourceOwner(for: request, client: client)
        let previous = try await stores.interactions.interaction(grantID: grant.id)
        var started: (record: GNAPInteractionRecord, response: [String: JSONValue])?
        if patch.interact != nil {
            let (name, uri) = (previous?.clientName, previous?.clientURI)
            started = try newInteraction(request, client: client, grantID: grant.id, clientName: name, clientURI: uri, at: current)
        }
        if approved != nil, started == nil {
            throw GNAPError(
                .requestDenied,
                "the modification asks for more than was approved; include 'interact' so the resource owner can approve it (RFC 9635 §5.3)"
            )
        }
        // The grant stays with the person whose approval its tokens were issued under (its subject is kept)
        // until someone decides the modification: listed on their account, withdrawable (RFC 9635 §1.5).
        grant.state = .pending
        return (started?.record, started?.response)
    }

    /// Subject identifiers and assertions about the resource owner who approved, in the formats
    /// asked for (RFC 9635 §3.4) — only when a person approved, never for a client acting for itself.
    func subjectResponse(for request: GNAPGrantRequest, grantID: String) async throws -> GNAPSubjectResponse? {
        guard let subjectRequest = request.subject, let grant = try await stores.gnap.grant(id: grantID), let subject = grant.subject,
            subject != grant.instanceID
        else { return nil }
        let formats = subjectRequest.subIDFormats ?? []
        var identifiers: [[String: JSONValue]] = []
        if formats.contains("opaque") { identifiers.append(["format": .string("opaque"), "id": .string(subject)]) }
        if formats.contains("iss_sub") {
            identifiers.append(["format": .string("iss_sub"), "iss": .string(issuerID), "sub": .string(subject)])
        }
        var assertions: [[String: JSONValue]] = []
        if subjectRequest.assertionFormats?.contains("id_token") == true {
            // From the one ID-token path (OpenID Connect Core §2), `aud` the client instance's id or key thumbprint.
            // `auth_time` is when the approving person signed in here, as their session recorded it at the
            // consent page; never the grant's last change, which every continuation moves (that would claim a
            // fresh sign-in each time). Approved out of band, nobody signed in: no `auth_time` at all.
            let audience = grant.instanceID ?? grant.keyThumbprint
            let authTime = grant.authenticatedAt.map { Int($0.timeIntervalSince1970) }
            // A ledger entry of the grant: finalizing or revoking the grant ends its use as an identity assertion (F4).
            let idToken = try await issuer.mintIDToken(
                subject: subject,
                audience: audience,
                nonce: nil,
                authTime: authTime,
                grant: (grantID, TokenParent(.gnap))
            )
            try await stores.tokens.record(TokenIssuance(accessToken: idToken.record, refreshToken: nil))
            assertions.append(["format": .string("id_token"), "value": .string(idToken.token)])
        }
        guard !identifiers.isEmpty || !assertions.isEmpty else { return nil }
        return GNAPSubjectResponse(subIDs: identifiers.isEmpty ? nil : identifiers, assertions: assertions.isEmpty ? nil : assertions)
    }

    /// Moves the grant to `finalized` (terminal) and revokes its tokens.
    func finalize(_ grant: inout GNAPGrantRecord, expected: String?, state: GNAPGrantRecord.State) async throws -> Bool {
        grant.state = .finalized
        grant.continuationHash = nil
        grant.updatedAt = now()
        return try await stores.gnap.updateGrant(grant, expectedContinuationHash: expected, expectedState: state, issued: [])
    }
}
