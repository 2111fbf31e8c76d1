import Crypto
public import Foundation
import TesseraProtocol
public import TesseraStorage

/// Client challenges at the token endpoint (draft-kahrer-oauth-client-challenge-protocol-00):
/// decides each token request with the one decision point (`Action::"challenge"`, ``ClientChallengePolicy``;
/// `client_challenges.policy` translated into it); when it says "challenge",
/// stores a single-use session bound to the client, its DPoP key and the request, and answers
/// ``InsufficientClientAuthorization``; on the retry, verifies the evidence for the requirement type, only then
/// consumes the session, and decides again with that type satisfied.
public struct ClientChallengeService: Sendable {
    let configuration: ClientChallengeConfiguration
    /// The one decision point (`Action::"challenge"`, docs/policy.md), with `client_challenges.policy` translated into it.
    let decisions: DecisionPoint
    let issuer: String
    let store: any ClientChallengeStore
    let replay: any ReplayCache
    let authenticator: ClientAuthenticator
    let attesters: [String: JWSVerifier]
    let mandateIssuers: [String: JWSVerifier]
    /// RFC 9396 §7 coverage, for a user mandate's `authorization_details` against the request's.
    let authorizationDetails: AuthorizationDetailsProcessor
    let now: @Sendable () -> Date

    /// - Returns: `nil` when neither `client_challenges.policy` nor the one policy set can forbid `Action::"challenge"`.
    /// - Throws: ``PolicyTranslationError`` for a policy that cannot be translated; ``JOSEError`` for unusable keys.
    public static func make(
        configuration: ClientChallengeConfiguration,
        issuer: String,
        stores: Stores,
        authenticator: ClientAuthenticator,
        decisions: DecisionPoint,
        authorizationDetails: AuthorizationDetailsProcessor,
        now: @escaping @Sendable () -> Date
    ) async throws -> ClientChallengeService? {
        guard configuration.policy != nil || decisions.mayChallenge else { return nil }
        let decisions =
            try configuration.policy.map { text throws(PolicyTranslationError) in
                decisions.adding(
                    try TranslatedPolicies(
                        text: text,
                        source: configuration.policyFile ?? "client_challenges.policy",
                        role: .clientChallenges
                    )
                )
            } ?? decisions
        var attesters: [String: JWSVerifier] = [:]
        for signer in configuration.attesters { attesters[signer.issuer] = try await JWSVerifier(keys: signer.jwks) }
        var mandateIssuers: [String: JWSVerifier] = [:]
        for signer in configuration.mandateIssuers { mandateIssuers[signer.issuer] = try await JWSVerifier(keys: signer.jwks) }
        return ClientChallengeService(
            configuration: configuration,
            decisions: decisions,
            issuer: issuer,
            store: stores.challenges,
            replay: stores.replay,
            authenticator: authenticator,
            attesters: attesters,
            mandateIssuers: mandateIssuers,
            authorizationDetails: authorizationDetails,
            now: now
        )
    }

    /// Lets the request through, or throws.
    /// - Parameters:
    ///   - request: the token request, as presented (its grant parameters bind the challenge session).
    ///   - rights: the rights the token will carry (``EvidenceHandler/challengedRights(_:client:context:)``):
    ///     what the policy judges and a user mandate must cover.
    ///   - client: the authenticated client.
    ///   - key: the key the request proved (DPoP), if any.
    /// - Throws: ``InsufficientClientAuthorization`` (a challenge, already stored); ``OAuthError``
    ///   `unauthorized_client` for a refusal, a bad retry or a client that cannot be challenged.
    func admit(_ request: AccessRequest, rights: ChallengedRights, client: AuthenticatedClient, key: ProvenKey?) async throws {
        var satisfied: Set<String> = []
        if let session = request.challengeAnswer?.session {
            satisfied = try await redeem(session: session, request: request, rights: rights, client: client, key: key)
        }
        let (ruling, forbids) = decisions.challenge(
            party: .init(oauth: client.record),
            context: ChallengeContext.build(
                rights: rights,
                grantType: request.kind,
                client: client,
                senderConstrained: key != nil,
                satisfied: satisfied,
                now: now()
            )
        )
        switch ClientChallengePolicy.Verdict.verdict(ruling, forbids: forbids, satisfied: satisfied) {
        case .permit:
            return
        case .deny(let reason):
            throw OAuthError.unauthorizedClient("the authorization server's policy refuses this request: \(reason)")
        case .challenge(let type):
            throw try await challenge(type: type, request: request, rights: rights, client: client, key: key, satisfied: satisfied)
        }
    }

    /// The policy's outright refusal of rights asked at the authorization endpoint or PAR, before a person is
    /// asked to consent to what the token endpoint would refuse (RFC 6749 §4.1.2.1 `unauthorized_client`).
    /// Only what no token request could change is refused here: every challenge counts as answered, and the
    /// rights are refused only if they are refused both with and without a proven key (DPoP).
    /// - Parameters:
    ///   - rights: the scope, resources and `authorization_details` asked for.
    ///   - client: the client (its metadata document, if any).
    /// - Returns: the refusal, or `nil`.
    func refusal(of rights: ChallengedRights, client: AuthenticatedClient) -> OAuthError? {
        var reasons: [String] = []
        for senderConstrained in [false, true] {
            let (ruling, forbids) = decisions.challenge(
                party: .init(oauth: client.record),
                context: ChallengeContext.build(
                    rights: rights,
                    grantType: GrantType.authorizationCode.rawValue,
                    client: client,
                    senderConstrained: senderConstrained,
                    satisfied: [],
                    now: now()
                )
            )
            let answered = Set(forbids.compactMap(\.challenge))
            guard case .deny(let reason) = ClientChallengePolicy.Verdict.verdict(ruling, forbids: forbids, satisfied: answered) else {
                return nil
            }
            reasons.append(reason)
        }
        return OAuthError.unauthorizedClient("the authorization server's policy refuses this request: \(reasons[0])")
    }

    // MARK: - Issuing

    /// What the stored `requirement` column holds besides the object sent.
    struct Envelope: Codable {
        var requirement: [String: JSONValue]
        var nonce: String
        /// Types already proven in earlier rounds of this request.
        var satisfied: [String]
    }

    func challenge(
        type: String,
        request: AccessRequest,
        rights: ChallengedRights,
        client: AuthenticatedClient,
        key: ProvenKey?,
        satisfied: Set<String>
    ) async throws -> any Error {
        // §7: only clients that say they understand challenges get one; today that is said in a
        // Client ID Metadata Document.
        guard client.metadata?.document.insufficientClientAuthorizationSupported == true else {
            return OAuthError.unauthorizedClient(
                "this request needs evidence of type \(type), and the client does not declare insufficient_client_authorization_supported"
            )
        }
        guard ChallengeRequirement.all.contains(type) else {
            return OAuthError.unauthorizedClient("this request needs evidence of type \(type), which this server cannot verify")
        }
        let session = TokenIssuer.randomIdentifier()
        let nonce = TokenIssuer.randomIdentifier()
        var requirement: [String: JSONValue] = ["type": .string(type), "nonce": .string(nonce), "audience": .string(issuer)]
        switch type {
        case ChallengeRequirement.clientAttestation:
            requirement["attesters"] = .array(configuration.attesters.map { .string($0.issuer) })
        default:
            requirement["issuers"] = .array(configuration.mandateIssuers.map { .string($0.issuer) })
            // What the mandate must cover: the rights the token will carry (review round 10, H3).
            if let scope = rights.scopeText { requirement["scope"] = .string(scope) }
            if let details = rights.authorizationDetails, !details.isEmpty { requirement["authorization_details"] = .array(details) }
        }
        let issuedAt = now()
        let envelope = Envelope(requirement: requirement, nonce: nonce, satisfied: satisfied.sorted())
        try await store.insert(
            ClientChallengeRecord(
                sessionHash: TokenIssuer.hashToken(session),
                clientID: client.id,
                keyThumbprint: key?.jkt,
                requestDigest: Self.digest(request),
                requirement: String(decoding: try JSONEncoder().encode(envelope), as: UTF8.self),
                issuedAt: issuedAt,
                expiresAt: issuedAt.addingTimeInterval(configuration.sessionLifetime)
            )
        )
        return InsufficientClientAuthorization(
            requirement: requirement,
            challengeSession: session,
            expiresIn: Int(configuration.sessionLifetime),
            description: "the client must supply evidence of type \(type) and repeat the request with challenge_session"
        )
    }

    // MARK: - Redeeming

    func redeem(
        session: String,
        request: AccessRequest,
        rights: ChallengedRights,
        client: AuthenticatedClient,
        key: ProvenKey?
    ) async throws -> Set<String> {
        func refuse(_ why: String) -> OAuthError { .unauthorizedClient("challenge_session rejected: \(why)") }
        guard session.utf8.count <= 128, let record = try await store.challenge(sessionHash: TokenIssuer.hashToken(session)) else {
            throw refuse("it is not one this server issued")
        }
        guard record.clientID == client.id else { throw refuse("it was issued to another client") }
        guard record.usedAt == nil else { throw refuse("it was already used") }
        guard record.expiresAt > now() else { throw refuse("it has expired") }
        guard record.keyThumbprint == key?.jkt else {
            throw refuse("the request is not proven with the key the challenged request used (DPoP)")
        }
        guard record.requestDigest == Self.digest(request) else {
            throw refuse("the retried request differs from the challenged one (same grant, scope, resources and details required)")
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(record.requirement.utf8)),
            case .string(let type) = envelope.requirement["type"]
        else { throw refuse("its stored requirement is unreadable") }
        guard let evidence = request.challengeAnswer?.evidence else {
            throw refuse("the retry carries no \(ChallengeRequirement.evidenceParameter)")
        }
        let verifier = EvidenceVerifier(
            service: self,
            client: client,
            rights: rights,
            nonce: envelope.nonce,
            challengedAt: record.issuedAt
        )
        do {
            try await verifier.verify(evidence, type: type)
        } catch let error as OAuthError {
            throw OAuthError.unauthorizedClient("evidence for \(type) rejected: \(error.message)")
        }
        // Spent only now, by evidence that verified: a retry without it (junk, a stranger's signature, the client's
        // own attestation for an earlier challenge) spends nothing, so it cannot burn the client's session (§8.2).
        // One atomic update: of two retries with verified evidence, one passes.
        guard case .consumed = try await store.consume(sessionHash: record.sessionHash, clientID: client.id, at: now()) else {
            throw refuse("it was already used")
        }
        return Set(envelope.satisfied).union([type])
    }

    /// SHA-256 over the request's grant parameters, minus client authentication and the challenge's own.
    static func digest(_ request: AccessRequest) -> String {
        let excluded: Set<String> = [
            "client_id", "client_secret", "client_assertion", "client_assertion_type",
            ChallengeRequirement.sessionParameter, ChallengeRequirement.evidenceParameter,
        ]
        let lines = request.presented.names.subtracting(excluded).sorted().map { name in
            name + "=" + request.presented.all(name).map(FormParameters.encode).joined(separator: "&")
        }
        return Base64URL.encode(SHA256.hash(data: Data(lines.joined(separator: "\n").utf8)))
    }
}
