import Foundation
public import TesseraProtocol
import TesseraStorage

/// The grant endpoint (RFC 9635 §2 → §3) through the one entry point: the GNAP door translates the
/// grant request into an ``AccessRequest`` and its client instance into a ``ClientIdentity``,
/// ``GrantEngine/answer(_:from:)`` decides and records, and the door words the outcome.
extension GrantEngine {
    /// Answers a GNAP grant request: tokens at once when policy allows (RFC 9635 §3.2), otherwise a
    /// grant waiting for a resource owner with the interaction that reaches them (§3.3), or the
    /// refusal's GNAP error (§3.6). Every grant's response carries `continue` (§3.1), except a derived
    /// token's (RFC 9767 §4), which has no person to wait for.
    /// - Parameter presented: the request as received.
    /// - Returns: the grant response, after the grant and its tokens are recorded.
    /// - Throws: ``GNAPError`` for a refusal; store failures propagate.
    public func requestGNAPGrant(_ presented: GNAPPresentedRequest) async throws -> GNAPGrantResponse {
        let asked = try await gnap.translate(presented)
        // The key proof's nonce is spent with the grant it records; an answer that records none (a refusal, a
        // failure) spends it on its own before the response, as the proof did before (issue 22). A derived token's
        // request proves the resource server's key with its nonce spent at once (no nonces deferred).
        let outcome: GrantOutcome
        do {
            outcome = try await answer(asked.request, from: asked.client)
        } catch {
            try await gnap.spendNonces(of: asked)
            throw error
        }
        switch outcome {
        case .granted, .needsInteraction: break
        case .denied, .needsClientEvidence: try await gnap.spendNonces(of: asked)
        }
        return try await gnap.respond(outcome, to: asked)
    }
}

extension GNAPService {
    /// A grant request as the door translated it, with the continuation token whose hash the grant
    /// keeps (RFC 9635 §3.1; none for a derived token's grant or a rotation) and how the client asked
    /// to be shown to the person (§2.3.2).
    struct Asked: Sendable {
        var request: AccessRequest
        var client: ClientIdentity
        var continuation: String?
        var display: GNAPDisplay?
    }

    /// The GNAP door's translation of a grant request (RFC 9635 §2): the body checked, the client
    /// identified by its instance or key (§2.3) and its proof verified (§7.3), the rights and
    /// `interact` checked, registered references expanded.
    /// - Parameter presented: the request as received.
    /// - Returns: the request for the engine.
    /// - Throws: ``GNAPError`` for a malformed request, an unknown client or a bad proof.
    func translate(_ presented: GNAPPresentedRequest) async throws -> Asked {
        guard presented.token == nil else {
            throw GNAPError(.invalidRequest, "the grant endpoint takes no access token (RFC 9635 §2)")
        }
        let request = try Self.decode(GNAPGrantRequest.self, from: presented.body)
        guard request.interactRef == nil else { throw GNAPError(.invalidRequest, "interact_ref belongs in a continuation request") }
        guard let client = request.client else {
            throw GNAPError(.invalidRequest, "the initial grant request needs 'client' (RFC 9635 §2.3)")
        }
        if let existing = request.existingAccessToken {
            return try await translate(deriving: request, existing: existing, client: client, presented)
        }
        let (key, instance, thumbprint) = try await identify(client)
        let nonces = DeferredNonces()
        try await proofs.verify(presented, key: key, deferringNoncesTo: nonces, thumbprint: thumbprint)
        do {
            return try await asked(
                request,
                client: client,
                key: key,
                instance: instance,
                thumbprint: thumbprint,
                nonces: nonces.all,
                presented
            )
        } catch {
            // A request refused after its proof checked still spends its nonce before the response.
            try await spend(nonces.all)
            throw error
        }
    }

    /// The rest of ``translate(_:)`` once the key proof checked: the request validated, references expanded.
    private func asked(
        _ request: GNAPGrantRequest,
        client: GNAPClientReference,
        key: GNAPKey,
        instance: GNAPConfiguration.Instance?,
        thumbprint: String,
        nonces: [SingleUseSpend],
        _ presented: GNAPPresentedRequest
    ) async throws -> Asked {
        var (key, thumbprint) = (key, thumbprint)
        // An mtls key named by thumbprint is stored with the certificate that proved it, so the
        // RS-facing introspection can hand the RS the certificate (RFC 9767 §3.3).
        if key.proof.method == "mtls", let certificate = presented.clientCertificate {
            key = GNAPKey(proof: key.proof, cert: certificate.pem)
            thumbprint = try Self.thumbprint(of: key)
        }
        try validate(request, instance: instance)
        try validateInteract(request.interact)
        let identity = Self.identity(instance: instance, thumbprint: thumbprint, proof: key.proof.method)
        var stored = try await expandRegisteredReferences(in: request, for: identity)
        stored.client = nil
        let continuation = TokenIssuer.randomIdentifier()
        var display: GNAPDisplay?
        if case .value(let value) = client { display = value.display }
        var asked = AccessRequest(gnap: stored, key: key, continuationHash: TokenIssuer.hashToken(continuation))
        asked.gnap?.nonces = nonces
        return Asked(
            request: asked,
            client: identity,
            continuation: continuation,
            display: display
        )
    }

    /// The engine's part of a GNAP grant request, for ``GrantEngine/answer(_:from:)``: the one
    /// decision point decides (``decide(_:client:)``); an approved grant's tokens are minted by the one
    /// issuer and recorded with the grant, a pending grant is recorded for a person to decide.
    /// - Parameters:
    ///   - request: the request, as ``AccessRequest/init(gnap:key:continuationHash:)`` made it.
    ///   - client: the instance or key (``identity(instance:thumbprint:proof:)``).
    /// - Returns: the tokens, the grant waiting for interaction, or the refusal.
    /// - Throws: refusals of Cedar-profile rights as ``GNAPError``; store failures.
    func grant(_ request: AccessRequest, from client: ClientIdentity) async throws -> GrantOutcome {
        guard let asked = request.gnap, case .gnap(let instanceID, _, let thumbprint) = client.registration else {
            return .denied(Refusal(.unsupportedEvidence, "a GNAP client asks with a GNAP grant request (RFC 9635 §2)"))
        }
        if let continued = asked.continued { return try await retrying(continued) { try await advance($0, request, client: client) } }
        switch request.evidence {
        case .client: break
        case .existingToken: return try await derive(request, client: client)
        case .managedToken: return try await rotate(request, client: client)
        default: return .denied(Refusal(.unsupportedEvidence, "a grant is continued at its continuation URI (RFC 9635 §5)"))
        }
        let verdict = decide(request, client: client)
        var subject: String?
        switch verdict {
        case .refused(let refusal): return .denied(refusal)
        case .approved(let approved): subject = approved
        case .pending:
            // Routed before anything is stored: a request spanning several owners is refused.
            do { _ = try resourceOwner(for: asked.request, client: client) } catch {
                return .denied(Refusal(.rightsRefused, error.message))
            }
        }
        let current = now()
        let grant = GNAPGrantRecord(
            id: TokenIssuer.sortableIdentifier(),
            state: subject == nil ? .pending : .approved,
            clientKey: try Self.encode(asked.key),
            keyThumbprint: thumbprint,
            instanceID: instanceID,
            request: try Self.encode(asked.request),
            continuationHash: asked.continuationHash,
            continueAfter: current.addingTimeInterval(TimeInterval(configuration.continuationWait)),
            subject: subject,
            createdAt: current,
            updatedAt: current,
            expiresAt: current.addingTimeInterval(configuration.grantLifetime),
            // The instance's own policy approved it now: the approval its tokens stand on.
            approvedAt: subject == nil ? nil : current
        )
        guard subject != nil else {
            guard try await stores.gnap.createGrant(grant, issued: [], spending: asked.nonces) else { throw Self.replayedNonce }
            return .needsInteraction(grantID: grant.id)
        }
        let (tokens, issued) = try await mintTokens(for: asked.request, grant: grant)
        guard try await stores.gnap.createGrant(grant, issued: issued, spending: asked.nonces) else { throw Self.replayedNonce }
        return .granted(.init(tokens: tokens, grantID: grant.id))
    }

    /// The refusal of a key proof whose nonce was spent before (RFC 9635 §7.3.1, RFC 9421 §7.2.2), as the proof
    /// verifier words it.
    static let replayedNonce = GNAPError(.invalidClient, "key proof rejected: the nonce was already used")

    /// Spends on their own the nonces of a grant request whose answer recorded no grant, before that answer is sent.
    /// - Parameter asked: The translated request.
    /// - Throws: ``replayedNonce`` when one was spent before; store failures.
    func spendNonces(of asked: Asked) async throws {
        try await spend(asked.request.gnap?.nonces ?? [])
    }

    /// Spends nonces in the replay cache, each in its own write.
    /// - Parameter nonces: The nonces.
    /// - Throws: ``replayedNonce`` when one was spent before; store failures.
    private func spend(_ nonces: [SingleUseSpend]) async throws {
        for spend in nonces {
            let fresh = try await stores.replay.insertIfAbsent(
                namespace: spend.namespace,
                value: spend.value,
                expiresAt: spend.expiresAt,
                now: spend.now
            )
            guard fresh else { throw Self.replayedNonce }
        }
    }

    /// The GNAP door's wording of the engine's answer (RFC 9635 §3): `continue` for the grant, the
    /// tokens in the cardinality asked, or the interaction started for a waiting grant.
    /// - Parameters:
    ///   - outcome: the engine's answer.
    ///   - asked: the translated request.
    /// - Returns: the grant response.
    /// - Throws: the refusal as a ``GNAPError``; store failures.
    func respond(_ outcome: GrantOutcome, to asked: Asked) async throws -> GNAPGrantResponse {
        let grantID: String
        var tokens: [GrantOutcome.IssuedToken] = []
        switch outcome {
        case .granted(let granted):
            guard let id = granted.grantID else { throw GNAPError(.requestDenied, "the tokens belong to no grant") }
            (grantID, tokens) = (id, granted.tokens)
        case .needsInteraction(let id, _): grantID = id
        case .denied(let refusal): throw refusal.gnap
        case .needsClientEvidence: throw GNAPError(.requestDenied, "the grant endpoint asks for no client evidence")
        }
        var response = GNAPGrantResponse(
            continue: asked.continuation.map { continueMember(grantID: grantID, token: $0) },
            instanceID: asked.client.registration.gnapInstanceID
        )
        guard let request = asked.request.gnap?.request else { return response }
        if case .needsInteraction(_, let started) = outcome {
            response.interact = started
            // A new grant's interaction starts once the engine recorded the grant (none for unsupported modes).
            let (name, uri) = (asked.display?.name, asked.display?.uri)
            if asked.request.gnap?.continued == nil,
                let made = try newInteraction(request, client: asked.client, grantID: grantID, clientName: name, clientURI: uri, at: now())
            {
                try await stores.interactions.createInteraction(made.record)
                response.interact = made.response
            }
        } else {
            response.accessToken = render(tokens, for: request)
            response.subject = try await subjectResponse(for: request, grantID: grantID)
        }
        return response
    }
}

extension ClientIdentity.Registration {
    /// The GNAP `instance_id` of a registered instance (RFC 9635 §2.3.1).
    var gnapInstanceID: String? {
        if case .gnap(let instanceID, _, _) = self { instanceID } else { nil }
    }
}
