import Foundation
public import TesseraProtocol
import TesseraStorage

extension GNAPService {
    /// What a continuation call produced.
    public enum ContinuationOutcome: Sendable {
        /// A grant response (200).
        case response(GNAPGrantResponse)
        /// The grant was revoked (204, RFC 9635 §5.4).
        case revoked
    }

    /// The HTTP method of a continuation call (RFC 9635 §5).
    public enum ContinuationMethod: Sendable {
        case post
        case patch
        case delete
    }

    /// Continues a grant: poll or post an interaction reference (`POST`), modify (`PATCH`) or revoke
    /// (`DELETE`). The continuation token is single use: every response carries a new one.
    public func continueGrant(id: String, method: ContinuationMethod, _ presented: GNAPPresentedRequest) async throws -> ContinuationOutcome
    {
        guard let token = presented.token else {
            throw GNAPError(.invalidContinuation, "continuation needs Authorization: GNAP <continuation token> (RFC 9635 §5)")
        }
        let presentedHash = TokenIssuer.hashToken(token)
        guard PresentedIdentifier.isCanonical(id, as: .serverIdentifier), let grant = try await stores.gnap.grant(id: id),
            let expected = grant.continuationHash,
            ConstantTime.equals(Array(expected.utf8), Array(presentedHash.utf8))
        else { throw GNAPError(.invalidContinuation, "the continuation URI and token do not match an active grant") }
        try await requireRegistered(grant, errorCode: .invalidContinuation)
        // The key proof is checked once: its nonce is single use, so a retry below must not re-check it.
        try await proofs.verify(presented, key: try Self.decode(GNAPKey.self, from: Array(grant.clientKey.utf8)))
        // A resource owner may decide while this request runs; the store refuses to overwrite that
        // decision, and the request is answered from the new state instead.
        // An interaction reference is single use (RFC 9635 §5.1): accepted once, for this grant only.
        var interactRef: String?
        if method == .post, !presented.body.isEmpty {
            interactRef = try Self.decode(GNAPGrantRequest.self, from: presented.body).interactRef
        }
        var current = grant
        for _ in 0..<3 {
            var spending: String?
            if let interactRef {
                spending = try await usableInteractRef(interactRef, grant: current)
                guard spending != nil else {
                    guard current.state == .pending else {
                        var finalized = current
                        _ = try await finalize(&finalized, expected: presentedHash, state: current.state)
                        throw GNAPError(
                            .tooManyAttempts,
                            "this interact_ref is unknown or was already used; the grant is finalized (RFC 9635 §5.1)"
                        )
                    }
                    throw GNAPError(.invalidInteraction, "no finished interaction of this grant has this interact_ref")
                }
            }
            let outcome = try await advance(current, method: method, presented, presentedHash: presentedHash, spending: spending)
            if let outcome { return outcome }
            guard let reread = try await stores.gnap.grant(id: id), reread.continuationHash == presentedHash else {
                throw GNAPError(.invalidContinuation, "the continuation token was already used")
            }
            current = reread
        }
        throw GNAPError(.invalidContinuation, "the grant kept changing; continue again")
    }

    /// One attempt at moving the grant on. Returns `nil` when the stored grant changed since it was read
    /// (or the interaction reference being spent, the hash in `spending`, was spent meanwhile).
    private func advance(
        _ grant: GNAPGrantRecord,
        method: ContinuationMethod,
        _ presented: GNAPPresentedRequest,
        presentedHash: String,
        spending: String?
    ) async throws -> ContinuationOutcome? {
        let interacted = spending != nil
        var grant = grant
        let readState = grant.state
        let current = now()
        guard grant.state != .finalized else { throw GNAPError(.invalidContinuation, "the grant is finalized") }
        guard current < grant.expiresAt else {
            _ = try await finalize(&grant, expected: presentedHash, state: readState)
            throw GNAPError(.invalidContinuation, "the grant expired")
        }

        if method == .delete {
            guard try await finalize(&grant, expected: presentedHash, state: readState) else { return nil }
            return .revoked
        }

        var request = try Self.decode(GNAPGrantRequest.self, from: Array(grant.request.utf8))
        var interaction: (record: GNAPInteractionRecord?, response: [String: JSONValue]?)?
        if method == .patch {
            let patch = try Self.decode(GNAPGrantRequest.self, from: presented.body)
            guard patch.client == nil, patch.interactRef == nil else {
                throw GNAPError(.invalidRequest, "a modification must not carry 'client' or 'interact_ref' (RFC 9635 §5.3)")
            }
            guard grant.state == .pending || grant.state == .approved else {
                throw GNAPError(.invalidContinuation, "only pending or approved grants can be modified")
            }
            let instance = try await registeredInstance(grant.instanceID)
            let approved = grant.state == .approved ? request : nil
            if let tokens = patch.accessToken { request.accessToken = tokens }
            if let subject = patch.subject { request.subject = subject }
            if let user = patch.user { request.user = user }
            if let interact = patch.interact { request.interact = interact }
            try validate(request, instance: instance)
            try validateInteract(patch.interact)
            request = try await expandRegisteredReferences(in: request)
            if let outcome = try await modify(&grant, to: request, approved: approved, patch: patch, instance: instance, at: current) {
                interaction = outcome
            }
        } else if !presented.body.isEmpty {
            let body = try Self.decode(GNAPGrantRequest.self, from: presented.body)
            guard body.accessToken == nil, body.client == nil, body.subject == nil, body.interact == nil else {
                throw GNAPError(.invalidRequest, "a continuation POST carries only interact_ref; use PATCH to modify (RFC 9635 §5)")
            }
        }
        if method == .post, !interacted {
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
            guard try await finalize(&grant, expected: presentedHash, state: readState) else { return nil }
            throw GNAPError(.userDenied, "the resource owner denied the request")
        }

        let continuation = TokenIssuer.randomIdentifier()
        grant.request = try Self.encode(request)
        grant.continuationHash = TokenIssuer.hashToken(continuation)
        grant.continueAfter = current.addingTimeInterval(TimeInterval(configuration.continuationWait))
        grant.updatedAt = current
        var response = GNAPGrantResponse(continue: continueMember(grantID: grant.id, token: continuation), instanceID: grant.instanceID)
        if let interaction {
            // Before the grant changes: a person deciding on the old page meanwhile finds it gone.
            try await stores.interactions.replaceInteraction(grantID: grant.id, with: interaction.record)
            response.interact = interaction.response
        }
        var issued: [GNAPIssuedToken] = []
        if grant.state == .approved {
            let tokens: [GrantOutcome.IssuedToken]
            (tokens, issued) = try await mintTokens(for: request, grant: grant)
            response.accessToken = render(tokens, for: request)
            response.subject = try await subjectResponse(for: request, grant: grant)
        }
        guard
            try await stores.gnap.updateGrant(
                grant,
                expectedContinuationHash: presentedHash,
                expectedState: readState,
                issued: issued,
                consumingInteractRef: spending
            )
        else { return nil }
        return .response(response)
    }

    /// Decides a modification (RFC 9635 §5.3) of a pending or approved grant into `request`.
    ///
    /// - A registered instance's own policy approves it as it would a new request.
    /// - An approval stays only if every right (and subject information) now asked for is covered
    ///   by what was approved (``GNAPRightsCoverage``); a narrower request stays approved.
    /// - Anything else needs a person again: the grant goes back to pending, and the `interact` of
    ///   the modification starts a new interaction. Without `interact`, widening an approved grant
    ///   is refused (`request_denied`) and the grant is left as it was.
    ///
    /// Any interaction still open for the grant is cancelled by every modification that leaves the
    /// grant pending: its page showed other rights. - Returns: the interaction to store in place of
    /// the grant's current one (`record` `nil`: cancel it), or `nil` to leave interactions alone.
    private func modify(
        _ grant: inout GNAPGrantRecord,
        to request: GNAPGrantRequest,
        approved: GNAPGrantRequest?,
        patch: GNAPGrantRequest,
        instance: GNAPConfiguration.Instance?,
        at current: Date
    ) async throws -> (record: GNAPInteractionRecord?, response: [String: JSONValue]?)? {
        switch decide(AccessRequest(gnap: request), client: Self.identity(instance: instance, thumbprint: grant.keyThumbprint)) {
        case .approved(let subject):
            (grant.state, grant.subject) = (.approved, subject)
            return nil
        case .refused(let refusal): throw refusal.gnap
        case .pending: break
        }
        if let approved, grant.subject == nil || grant.subject != grant.instanceID,
            GNAPRightsCoverage.covers(approved.accessToken, request.accessToken),
            GNAPRightsCoverage.covers(approved.subject, request.subject),
            patch.user == nil || patch.user == approved.user
        {
            return nil
        }
        _ = try resourceOwner(for: request)
        let previous = try await stores.interactions.interaction(grantID: grant.id)
        var started: (record: GNAPInteractionRecord, response: [String: JSONValue])?
        if patch.interact != nil {
            let (name, uri) = (previous?.clientName, previous?.clientURI)
            started = try newInteraction(request, grantID: grant.id, clientName: name, clientURI: uri, at: current)
        }
        if approved != nil, started == nil {
            throw GNAPError(
                .requestDenied,
                "the modification asks for more than was approved; include 'interact' so the resource owner can approve it (RFC 9635 §5.3)"
            )
        }
        (grant.state, grant.subject) = (.pending, nil)
        return (started?.record, started?.response)
    }

    /// Subject identifiers and assertions about the resource owner who approved, in the formats
    /// asked for (RFC 9635 §3.4) — only when a person approved, never for a client acting for itself.
    private func subjectResponse(for request: GNAPGrantRequest, grant: GNAPGrantRecord) async throws -> GNAPSubjectResponse? {
        guard let subjectRequest = request.subject, let subject = grant.subject, subject != grant.instanceID else { return nil }
        let formats = subjectRequest.subIDFormats ?? []
        var identifiers: [[String: JSONValue]] = []
        if formats.contains("opaque") { identifiers.append(["format": .string("opaque"), "id": .string(subject)]) }
        if formats.contains("iss_sub") {
            identifiers.append(["format": .string("iss_sub"), "iss": .string(issuerID), "sub": .string(subject)])
        }
        var assertions: [[String: JSONValue]] = []
        if subjectRequest.assertionFormats?.contains("id_token") == true {
            assertions.append(["format": .string("id_token"), "value": .string(try await idTokenAssertion(subject: subject, grant: grant))])
        }
        guard !identifiers.isEmpty || !assertions.isEmpty else { return nil }
        return GNAPSubjectResponse(subIDs: identifiers.isEmpty ? nil : identifiers, assertions: assertions.isEmpty ? nil : assertions)
    }

    /// An `id_token` assertion (RFC 9635 §3.4; OpenID Connect Core §2) from the one ID-token path:
    /// `aud` = the client instance (its id, or its key thumbprint), the configured ID-token lifetime.
    private func idTokenAssertion(subject: String, grant: GNAPGrantRecord) async throws -> String {
        try await issuer.mintIDToken(
            subject: subject,
            audience: grant.instanceID ?? grant.keyThumbprint,
            nonce: nil,
            authTime: Int(grant.updatedAt.timeIntervalSince1970)
        )
    }

    /// Moves the grant to `finalized` (terminal) and revokes its tokens.
    func finalize(_ grant: inout GNAPGrantRecord, expected: String, state: GNAPGrantRecord.State) async throws -> Bool {
        grant.state = .finalized
        grant.continuationHash = nil
        grant.updatedAt = now()
        return try await stores.gnap.updateGrant(grant, expectedContinuationHash: expected, expectedState: state, issued: [])
    }
}
