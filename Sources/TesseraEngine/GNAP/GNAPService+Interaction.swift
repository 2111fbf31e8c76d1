import Cedar
import Crypto
public import Foundation
public import TesseraProtocol
public import TesseraStorage

extension GNAPService {
    /// Start modes Tessera answers (RFC 9635 §2.5.1).
    static let supportedStartModes = ["redirect", "app", "user_code", "user_code_uri"]
    /// Finish methods Tessera carries out (RFC 9635 §2.5.2).
    static let supportedFinishMethods = ["redirect", "push"]
    /// User codes: no look-alike glyphs (no I, O, 0, 1), 8 characters = 40 bits (RFC 9635 §4.1.2).
    static let userCodeAlphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")

    // MARK: - Starting (grant endpoint)

    /// Checks `interact` (RFC 9635 §2.5): finish method, URI and nonce, hash method.
    func validateInteract(_ interact: GNAPInteractRequest?) throws(GNAPError) {
        guard let interact else { return }
        guard interact.start.count <= 10 else { throw GNAPError(.invalidRequest, "interact.start lists too many modes") }
        guard let finish = interact.finish else { return }
        guard Self.supportedFinishMethods.contains(finish.method) else {
            throw GNAPError(.invalidInteraction, "finish method '\(finish.method.prefix(32))' is not supported (redirect, push)")
        }
        guard let uri = finish.uri, uri.utf8.count <= 2048, let url = URLComponents(string: uri), let scheme = url.scheme?.lowercased(),
            url.fragment == nil, url.user == nil, url.password == nil
        else {
            throw GNAPError(
                .invalidRequest,
                "interact.finish.uri must be an absolute URI without fragment or credentials (RFC 9635 §2.5.2)"
            )
        }
        let web = scheme == "https" || scheme == "http"
        let host = url.host ?? ""
        guard !web || !host.isEmpty else {
            throw GNAPError(.invalidRequest, "an http(s) interact.finish.uri needs a host (RFC 9635 §2.5.2)")
        }
        switch finish.method {
        case "push":
            guard web else { throw GNAPError(.invalidRequest, "a push finish URI must be http(s) (RFC 9635 §4.2.2)") }
        default:
            // RFC 9635 §2.5.2: HTTPS, a host local to the browser, or an app-specific scheme — one named after a
            // domain its app controls, in reverse order (RFC 8252 §7.1: `com.example.app:/cb`), which no scheme a
            // browser runs (`javascript`, `data`, `file`, `blob`, `intent`) is.
            if scheme == "http", !["localhost", "127.0.0.1", "[::1]", "::1"].contains(host.lowercased()) {
                throw GNAPError(.invalidRequest, "a redirect finish URI must be https, loopback http, or an app scheme (RFC 9635 §2.5.2)")
            }
            guard web || scheme.contains(".") else {
                throw GNAPError(
                    .invalidRequest,
                    "the finish URI scheme '\(scheme.prefix(32))' is refused: an app scheme is a reverse domain name such as com.example.app (RFC 8252 §7.1)"
                )
            }
        }
        let nonce = finish.nonce
        guard (8...256).contains(nonce.utf8.count), nonce.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw GNAPError(.invalidRequest, "interact.finish.nonce must be 8 to 256 printable ASCII characters (RFC 9635 §2.5.2)")
        }
        if let method = finish.hashMethod, !GNAPInteractionHash.supportedMethods.contains(method) {
            throw GNAPError(
                .invalidRequest,
                "hash_method '\(method.prefix(32))' is not supported (\(GNAPInteractionHash.supportedMethods.joined(separator: ", ")))"
            )
        }
        // A finish needs an interaction to finish (RFC 9635 §2.5.2).
        guard !Set(interact.startModes).isDisjoint(with: Self.supportedStartModes) else {
            throw GNAPError(.invalidInteraction, "none of the requested start modes is supported (redirect, app, user_code, user_code_uri)")
        }
    }

    /// A new interaction for a pending grant and the `interact` member announcing it (RFC 9635 §3.3),
    /// not yet stored; `nil` when the request asks for no mode Tessera supports and no finish.
    func newInteraction(
        _ request: GNAPGrantRequest,
        client: ClientIdentity,
        grantID: String,
        clientName: String?,
        clientURI: String?,
        at now: Date
    ) throws(GNAPError) -> (record: GNAPInteractionRecord, response: [String: JSONValue])? {
        guard let interact = request.interact else { return nil }
        let modes = Set(interact.startModes).intersection(Self.supportedStartModes)
        // A finish with no supported mode was refused by ``validateInteract(_:)``.
        guard !modes.isEmpty else { return nil }
        let id = TokenIssuer.randomIdentifier()
        let needsCode = modes.contains("user_code") || modes.contains("user_code_uri")
        let code = needsCode ? Self.newUserCode() : nil
        let serverNonce = TokenIssuer.randomIdentifier()
        let lifetime = configuration.interaction.lifetime
        let record = GNAPInteractionRecord(
            id: id,
            grantID: grantID,
            userCode: code,
            finishMethod: interact.finish?.method,
            finishURI: interact.finish?.uri,
            clientNonce: interact.finish?.nonce,
            serverNonce: serverNonce,
            hashMethod: interact.finish?.hashMethod ?? "sha-256",
            owner: try resourceOwner(for: request, client: client)?.name,
            clientName: clientName.map { String($0.prefix(200)) },
            clientURI: clientURI.map { String($0.prefix(500)) },
            state: .waiting,
            interactRefHash: nil,
            createdAt: now,
            expiresAt: now.addingTimeInterval(lifetime)
        )
        var response: [String: JSONValue] = ["expires_in": .number(lifetime.rounded(.down))]
        if modes.contains("redirect") { response["redirect"] = .string(endpoints.interactBase + id) }
        if modes.contains("app") { response["app"] = .string(endpoints.interactBase + id) }
        if let code {
            let shown = Self.display(code)
            if modes.contains("user_code") { response["user_code"] = .string(shown) }
            if modes.contains("user_code_uri") {
                response["user_code_uri"] = .object(["code": .string(shown), "uri": .string(endpoints.userCode)])
            }
        }
        if interact.finish != nil { response["finish"] = .string(serverNonce) }
        return (record, response)
    }

    static func newUserCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<8).map { _ in userCodeAlphabet[Int(generator.next(upperBound: UInt32(userCodeAlphabet.count)))] })
    }

    /// `ABCD-EFGH`, as shown to people.
    static func display(_ code: String) -> String { code.count == 8 ? "\(code.prefix(4))-\(code.suffix(4))" : code }

    /// RFC 9635 §4.1.2: strip what is not a code character, compare case-insensitively.
    public static func normalizeUserCode(_ input: String) -> String {
        String(input.uppercased().filter { userCodeAlphabet.contains($0) || $0 == "I" || $0 == "O" || $0 == "0" || $0 == "1" }.prefix(16))
    }

    // MARK: - The person's side (consent pages)

    /// Why an interaction cannot be shown or decided; each has its own page.
    public enum InteractionProblem: Error, Sendable, Equatable {
        case unknown
        case expired
        case alreadyUsed
        /// The grant was decided elsewhere, finalized or revoked.
        case notPending
        /// The client's hint names another person (RFC 9635 §2.4).
        case wrongOwner
        /// The policies route the grant to another person, its resource owner, or to no single person
        /// (docs/policy.md, "Routing"); who is not told.
        case routed
        /// The rights changed since the page was shown (or the form names no rights digest): the
        /// person must see the request as it stands before deciding.
        case changed
    }

    /// What the consent page shows.
    public struct InteractionView: Sendable {
        public let interaction: GNAPInteractionRecord
        public let grant: GNAPGrantRecord
        public let request: GNAPGrantRequest
        /// Self-asserted display information of the client, or the registered instance's name.
        public let clientName: String?
        /// Whether ``clientName`` is the operator's (a registered instance's display name) rather than
        /// what the client says of itself in `client.display` (RFC 9635 §2.3.2: not verified).
        public let clientNameVerified: Bool
        public let clientURI: String?
        /// `instance:<id>` or `key:<thumbprint>` — something stable a person can compare.
        public let clientIdentity: String
        /// ``consentDigest(of:)`` of ``request``: the consent form carries it, and a decision is
        /// accepted only while the grant still asks for exactly what the page showed.
        public let rightsDigest: String
        /// The Cedar-profile rights in plain language, with the narrowing the AS will apply when it
        /// issues them to this client for the signed-in person, keyed by ``rightKey(token:right:)``.
        /// Rendering only: the decision is about ``request`` (``rightsDigest``).
        public let cedarPreviews: [String: CedarConsentPreview]

        /// The interaction's id: its consent page is `/interact/{id}`.
        public var id: String { interaction.id }
        /// Where the client is told the outcome (RFC 9635 §2.5.2), and how: `redirect` or `push`.
        public var finishURI: String? { interaction.finishURI }
        public var finishMethod: String? { interaction.finishMethod }
    }

    /// A digest of exactly what the consent page shows and a decision approves: the requested
    /// tokens (labels, rights, flags) and subject information, as canonical JSON (sorted keys).
    public static func consentDigest(of request: GNAPGrantRequest) throws -> String {
        let shown = try encode(request.accessToken) + "\n" + encode(request.subject)
        return Base64URL.encode(SHA256.hash(data: Data(shown.utf8)))
    }

    /// ``consentDigest(of:)`` of a grant's stored request: what `tessera gnap grants` lists and an out-of-band approval
    /// names (``decide(grantID:approve:subject:digest:)``).
    /// - Parameter request: the grant record's `request`.
    /// - Returns: the digest.
    /// - Throws: ``GNAPError`` for a request that does not decode.
    public static func consentDigest(ofStored request: String) throws -> String {
        try consentDigest(of: decode(GNAPGrantRequest.self, from: Array(request.utf8)))
    }

    /// The interaction behind an interaction URL, checked for the signed-in `username`.
    public func interaction(id: String, for username: String) async throws -> InteractionView {
        guard PresentedIdentifier.isCanonical(id, as: .serverIdentifier),
            let interaction = try await stores.interactions.interaction(id: id)
        else {
            throw InteractionProblem.unknown
        }
        return try await view(interaction, for: username)
    }

    /// The interaction behind a user code as typed (RFC 9635 §4.1.2), checked for `username`.
    public func interaction(userCode: String, for username: String) async throws -> InteractionView {
        // A typed code may carry separators and any case, never control characters (PresentedIdentifier).
        guard PresentedIdentifier.isCanonical(userCode, as: .userCode) else { throw InteractionProblem.unknown }
        let code = Self.normalizeUserCode(userCode)
        guard code.count == 8, let interaction = try await stores.interactions.interaction(userCode: code) else {
            throw InteractionProblem.unknown
        }
        return try await view(interaction, for: username)
    }

    private func view(_ interaction: GNAPInteractionRecord, for username: String) async throws -> InteractionView {
        guard interaction.state == .waiting else { throw InteractionProblem.alreadyUsed }
        guard now() < interaction.expiresAt else { throw InteractionProblem.expired }
        guard let grant = try await stores.gnap.grant(id: interaction.grantID) else { throw InteractionProblem.unknown }
        guard grant.state == .pending, now() < grant.expiresAt else { throw InteractionProblem.notPending }
        let request = try Self.decode(GNAPGrantRequest.self, from: Array(grant.request.utf8))
        // The approver is decided from the grant as it stands now, never trusted from the start of
        // the interaction; a request that can no longer be routed is no one's to approve.
        let instance = try await registeredInstance(grant.instanceID)
        let client = Self.identity(instance: instance, thumbprint: grant.keyThumbprint)
        if let refusal = approvalRefusal(request, client: client, by: username) { throw refusal.problem }
        return InteractionView(
            interaction: interaction,
            grant: grant,
            request: request,
            clientName: instance?.displayName ?? interaction.clientName,
            clientNameVerified: instance?.displayName != nil,
            clientURI: interaction.clientURI,
            clientIdentity: grant.instanceID.map { "instance \($0)" } ?? "key \(grant.keyThumbprint.prefix(16))",
            rightsDigest: try Self.consentDigest(of: request),
            cedarPreviews: try cedarPreviews(request, grant: grant, subject: username)
        )
    }

    /// Whether `username` may approve `request` of `client`, asked from the grant as it stands, on the consent
    /// page and out of band alike (RFC 9635 §1.4, §4): the grant is routed to this person (or to nobody in
    /// particular), and the one decision point refuses this person none of its rights — an owner's policy,
    /// `gnap.interaction.resource_owners` translated into one (docs/policy.md).
    /// - Returns: `nil` when they may; else the consent page's problem and a description for an operator.
    func approvalRefusal(
        _ request: GNAPGrantRequest,
        client: ClientIdentity,
        by username: String
    ) -> (problem: InteractionProblem, description: String)? {
        let owner: (name: String, routed: Bool)?
        do { owner = try resourceOwner(for: request, client: client) } catch { return (.routed, error.message) }
        if let owner, owner.name != username {
            return (owner.routed ? .routed : .wrongOwner, "the grant is for \(owner.name) to approve, not \(username)")
        }
        guard request.accessToken != nil else { return nil }
        let question = AccessRequest(gnap: request).question(.approve, by: client, user: username)
        return Self.refusal(decisions.decide(question)).map { (.routed, $0.message) }
    }

    /// ``InteractionView/cedarPreviews``: each Cedar-profile right decided as
    /// ``grantedAccess(_:grant:subject:approvedAt:)`` will decide it, for the same client and subject.
    private func cedarPreviews(_ request: GNAPGrantRequest, grant: GNAPGrantRecord, subject: String) throws -> [String: CedarConsentPreview]
    {
        let processor = authorizationDetails ?? AuthorizationDetailsProcessor(types: [], now: now)
        let party = AuthorizationDetailsProcessor.Party(clientID: grant.instanceID ?? grant.keyThumbprint, subject: subject)
        var previews: [String: CedarConsentPreview] = [:]
        for (tokenIndex, token) in (request.accessToken?.requests ?? []).enumerated() {
            for (rightIndex, right) in token.access.enumerated() {
                guard case .object(let object) = right, object.extra["rarFormat"] != nil,
                    let preview = processor.preview(try Self.json(object), to: party)
                else { continue }
                previews[Self.rightKey(token: tokenIndex, right: rightIndex)] = preview
            }
        }
        return previews
    }

    /// Who asks, for the sign-in page in front of an interaction: the registered instance's name, or
    /// the name the client gives itself (unverified); `nil` for an unknown or finished interaction.
    public func requester(ofInteraction id: String) async throws -> ClientPresentation? {
        guard PresentedIdentifier.isCanonical(id, as: .serverIdentifier),
            let interaction = try await stores.interactions.interaction(id: id),
            interaction.state == .waiting, now() < interaction.expiresAt, let grant = try await stores.gnap.grant(id: interaction.grantID)
        else { return nil }
        if let instance = try await registeredInstance(grant.instanceID), let name = instance.displayName {
            return ClientPresentation(name: name, nameIsVerified: true, identity: "instance \(instance.id)")
        }
        return ClientPresentation(
            name: interaction.clientName,
            nameIsVerified: false,
            identity: grant.instanceID.map { "instance \($0)" } ?? "key \(grant.keyThumbprint.prefix(16))"
        )
    }

    /// How the client learns that the interaction finished (RFC 9635 §4.2).
    public enum InteractionFinish: Sendable, Equatable {
        /// Send the browser here with 303 (RFC 9635 §4.2.1, §11.19).
        case redirect(String)
        /// POST this JSON to this URI (RFC 9635 §4.2.2).
        case push(uri: String, body: [UInt8])
        /// No finish method: the person returns to the client, which polls.
        case none
    }

    /// Records the person's decision and returns how to tell the client. `approvedRights` holds the
    /// keys (``rightKey(token:right:)``) of the rights the person ticked; `nil` approves everything.
    /// Approving nothing is a denial. Stored before the client is told anything.
    ///
    /// `shownDigest` is the ``InteractionView/rightsDigest`` of the page the person saw: a decision
    /// about rights other than those shown is refused (``InteractionProblem/changed``), and the
    /// grant is approved with exactly the shown (and ticked) rights, whatever happens meanwhile.
    /// The resource owner is checked again here, from the grant as it stands.
    ///
    /// `authenticatedAt` is when the deciding person's session signed in: stored with the grant as the
    /// `auth_time` of its ID tokens (OpenID Connect Core §2), however often the grant is continued later.
    public func decideInteraction(
        id: String,
        username: String,
        authenticatedAt: Date,
        shownDigest: String,
        approve: Bool,
        approvedRights: Set<String>?,
        approvedPolicies: Set<String>? = nil
    ) async throws -> InteractionFinish {
        let view = try await interaction(id: id, for: username)
        guard ConstantTime.equals(Array(shownDigest.utf8), Array(view.rightsDigest.utf8)) else { throw InteractionProblem.changed }
        var request = view.request
        var approve = approve
        if approve, let approvedRights, var tokens = view.request.accessToken {
            tokens = Self.narrow(tokens, to: approvedRights, policies: approvedPolicies)
            if tokens.requests.isEmpty {
                approve = view.request.subject != nil
            }
            request.accessToken = tokens.requests.isEmpty ? nil : tokens
        }
        // Always the request as shown (narrowed by the ticks), never "whatever the grant holds now".
        let narrowed = try Self.encode(request)
        let interactRef = TokenIssuer.randomIdentifier()
        // Tokens issued before a modification stand only on this person's approval of rights they carry;
        // a denial ends them all, now rather than at the client's next continuation (RFC 9635 §5.3).
        var decided = view.grant
        (decided.state, decided.subject) = (approve ? .approved : .denied, username)
        let decision = GNAPInteractionDecision(
            approve: approve,
            subject: username,
            narrowedRequest: approve ? narrowed : nil,
            interactRefHash: TokenIssuer.hashToken(interactRef),
            authenticatedAt: authenticatedAt,
            revoking: try await superseded(under: decided, request: request)
        )
        guard try await stores.interactions.decide(interactionID: id, decision, at: now()) else { throw InteractionProblem.notPending }
        let interaction = view.interaction
        guard let method = interaction.finishMethod, let uri = interaction.finishURI, let clientNonce = interaction.clientNonce,
            let hash = GNAPInteractionHash.compute(
                clientNonce: clientNonce,
                serverNonce: interaction.serverNonce,
                interactRef: interactRef,
                grantEndpoint: endpoints.grant,
                method: interaction.hashMethod
            )
        else { return .none }
        if method == "push" {
            let body = try Self.encode(["hash": hash, "interact_ref": interactRef])
            return .push(uri: uri, body: Array(body.utf8))
        }
        guard var components = URLComponents(string: uri) else { return .none }
        components.queryItems =
            (components.queryItems ?? []) + [
                URLQueryItem(name: "hash", value: hash), URLQueryItem(name: "interact_ref", value: interactRef),
            ]
        return components.string.map(InteractionFinish.redirect) ?? .none
    }

    /// The form key of one access right: `t<token index>r<right index>`.
    public static func rightKey(token: Int, right: Int) -> String { "t\(token)r\(right)" }

    /// The key of one policy inside a Cedar right's `policySet`, as the consent form names it.
    public static func policyKey(token: Int, right: Int, policy: Int) -> String { "t\(token)r\(right)p\(policy)" }

    /// The policies of a Cedar-profile right (`rarFormat: cedar`), one by one, formatted; `nil` for
    /// any other right or a set that does not parse (it is then approved or not as a whole).
    public static func cedarPolicies(of right: GNAPAccessRight) -> [String]? {
        guard case .object(let object) = right, object.extra["rarFormat"] == .string("cedar"),
            case .string(let text)? = object.extra["policySet"], let set = try? PolicySet(parsing: text), !set.staticPolicies.isEmpty
        else { return nil }
        return set.staticPolicies.map(PolicyFormatter.format)
    }

    /// The tokens with only the approved rights; tokens left with none are dropped. When `policies`
    /// is given, a Cedar-profile right keeps only the ticked policies of its set (seed 003: partial
    /// approval narrows the set), and a Cedar right with none ticked is dropped.
    static func narrow(_ tokens: GNAPTokenRequests, to approved: Set<String>, policies: Set<String>? = nil) -> GNAPTokenRequests {
        let kept = tokens.requests.enumerated().compactMap { tokenIndex, token -> GNAPTokenRequest? in
            var token = token
            token.access = token.access.enumerated().compactMap { rightIndex, right -> GNAPAccessRight? in
                guard approved.contains(rightKey(token: tokenIndex, right: rightIndex)) else { return nil }
                guard let policies, let texts = cedarPolicies(of: right), case .object(var object) = right else { return right }
                // A forbid is a condition on what is shared, never a choice: kept; a right with no permit ticked is left out.
                let chosen = texts.enumerated().filter {
                    isForbid(policy: $0.element) || policies.contains(policyKey(token: tokenIndex, right: rightIndex, policy: $0.offset))
                }
                guard chosen.contains(where: { !isForbid(policy: $0.element) }) else { return nil }
                object.extra["policySet"] = .string(chosen.map(\.element).joined(separator: "\n\n"))
                return .object(object)
            }
            token.access = GNAPForbidCarry.carry(from: tokens.requests[tokenIndex].access, into: token.access)
            return token.access.isEmpty ? nil : token
        }
        switch tokens {
        case .single: return kept.first.map(GNAPTokenRequests.single) ?? .multiple([])
        case .multiple: return .multiple(kept)
        }
    }

    // MARK: - Continuation with interact_ref (RFC 9635 §5.1)

    /// The hash of `interactRef` when it is the one the person's decision produced for this grant and
    /// it has not been spent. Spending it happens with the grant update that answers the call
    /// (`GNAPStore.updateGrant(…consumingInteractRef:)`), in one transaction, so it is accepted once.
    func usableInteractRef(_ interactRef: String, grant: GNAPGrantRecord) async throws -> String? {
        guard interactRef.utf8.count <= 256 else { return nil }
        let presented = TokenIssuer.hashToken(interactRef)
        guard let interaction = try await stores.interactions.interaction(grantID: grant.id), interaction.state == .finished,
            let expected = interaction.interactRefHash, ConstantTime.equals(Array(expected.utf8), Array(presented.utf8))
        else { return nil }
        return presented
    }

    /// Removes interactions and sessions long expired (called by the server's sweeper).
    public func sweepInteractions(before cutoff: Date) async throws -> Int {
        try await stores.interactions.deleteExpiredInteractions(before: cutoff)
    }
}
