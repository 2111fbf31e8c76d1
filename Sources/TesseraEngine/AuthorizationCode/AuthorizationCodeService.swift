public import Foundation
public import TesseraProtocol
public import TesseraStorage

/// The browser door for OAuth clients: the authorization endpoint (RFC 6749 §4.1) with PKCE S256
/// for every client (RFC 7636), pushed authorization requests (RFC 9126) and the `iss`
/// authorization response parameter (RFC 9207). The person signs in and decides on the same pages
/// as for GNAP; this service holds the request meanwhile and makes the single-use code.
public struct AuthorizationCodeService: Sendable {
    public struct Configuration: Sendable {
        public var issuer: String
        /// How long a request may wait for sign-in and consent.
        public var requestLifetime: TimeInterval = 600
        /// How long a `request_uri` stays usable (RFC 9126 §2.2: short).
        public var pushedRequestLifetime: TimeInterval = 90
        /// How long a code stays redeemable (RFC 6749 §4.1.2: "10 minutes maximum"; we use 1).
        public var codeLifetime: TimeInterval = 60
        /// Every client must push its requests (RFC 9126 §5 `require_pushed_authorization_requests`).
        public var requirePushedAuthorizationRequests = false

        public init(issuer: String) { self.issuer = issuer }
    }

    /// The URN prefix of a `request_uri` (RFC 9126 §2.2).
    public static let requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

    /// What the authorization endpoint does next.
    public enum Outcome: Sendable, Hashable {
        /// The request is held under this random identifier until the person decides.
        case consent(id: String)
        /// An error that may go back to the client: the redirect URI was verified (RFC 6749 §4.1.2.1) and the operator
        /// registered it.
        case redirect(String)
        /// An error for a verified redirect URI that only the client vouches for (a metadata document, a
        /// self-registration): shown with a link the person follows, never followed by itself (RFC 9700 §4.11.2).
        case errorPageWithLink(ErrorLink)
        /// An error shown to the person and never redirected: no verified redirect URI.
        case errorPage(String)
    }

    /// A held request, for the consent page.
    public struct Pending: Sendable {
        public var request: OAuthAuthorizationRequest
        public var client: ClientRecord
        /// The client's own metadata document when it is known only by one (CIMD): what it says
        /// about itself (`client_name`) is unverified and shown as such.
        public var document: ClientMetadataDocument?
        /// When the request reached this server: `prompt=login` and `max_age` are measured from it.
        public var heldAt: Date
        /// What the request asks of the person's sign-in and of the pages (OpenID Connect Core §3.1.2.1).
        public var signIn: SignInRequirement { SignInRequirement(request) }
    }

    /// An error response for the client's redirect URI, shown with a link to it (RFC 9700 §4.11.2).
    public struct ErrorLink: Sendable, Hashable {
        /// The redirect URI with `error`, `error_description`, `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207 §2).
        public var location: String
        public var redirectURI: String
        public var error: OAuthError
        public var client: ClientPresentation
    }

    /// Why a held request cannot be decided.
    public enum Problem: Error, Sendable, Hashable {
        case unknownOrExpired
        /// The session's sign-in no longer satisfies `prompt=login` / `max_age`: the person signs in again,
        /// and the request is still held for the decision that follows.
        case signInAgain
    }

    public let configuration: Configuration
    let clients: any ClientStore
    let store: any AuthorizationCodeStore
    let authenticator: ClientAuthenticator
    let resourceCheck: ResourceCheck
    let authorizationDetails: AuthorizationDetailsProcessor
    let scopeCheck: ScopeCheck
    let now: @Sendable () -> Date
    /// The client-challenge policy, whose outright refusals are met here too (``refuseByChallengePolicy(_:client:)``).
    var challenges: ClientChallengeService?

    init(
        configuration: Configuration,
        stores: Stores,
        authenticator: ClientAuthenticator,
        resourceCheck: ResourceCheck,
        authorizationDetails: AuthorizationDetailsProcessor,
        scopeCheck: ScopeCheck,
        now: @escaping @Sendable () -> Date
    ) {
        self.scopeCheck = scopeCheck
        self.authorizationDetails = authorizationDetails
        self.configuration = configuration
        self.clients = stores.clients
        self.store = stores.authorizationCodes
        self.authenticator = authenticator
        self.resourceCheck = resourceCheck
        self.now = now
    }

    // MARK: - Authorization endpoint (RFC 6749 §4.1.1)

    /// Validates an authorization request from the browser. Until the client and its redirect URI
    /// are verified, every problem is an error page (RFC 6749 §4.1.2.1, RFC 9700 §4.11.2: no open
    /// redirector); after that, problems go back to the client with `state` and `iss`.
    public func authorize(query: FormParameters) async throws -> Outcome {
        guard let clientID = query["client_id"] else {
            return .errorPage("The request does not name an application (client_id is missing).")
        }
        let client: ClientRecord
        let metadata: MetadataClient?
        do {
            guard clientID.utf8.count <= 255, let found = try await self.client(id: clientID) else {
                return .errorPage("The application that sent you here is not registered with this server.")
            }
            (client, metadata) = found
        } catch let error as OAuthError {
            // A metadata document that cannot be used: its reason is about the client's own document.
            return .errorPage("The application that sent you here could not be identified: \(error.message).")
        }
        if let requestURI = query["request_uri"] {
            // RFC 9126 §4: the pushed request replaces the query; it is used once, and only by the client that pushed
            // it — checked before it is used up, so whoever learns another client's request_uri cannot spend it.
            let idHash = TokenIssuer.hashToken(requestURI)
            guard requestURI.hasPrefix(Self.requestURIPrefix), requestURI.utf8.count <= 200,
                try await store.request(idHash: idHash, at: now())?.clientID == client.id,
                let record = try await store.consumeRequest(idHash: idHash, at: now()),
                record.kind == AuthorizationRequestRecord.pushed, record.clientID == client.id,
                let request = try? JSONDecoder().decode(OAuthAuthorizationRequest.self, from: Data(record.parameters.utf8))
            else {
                return .errorPage("This sign-in link has expired or was already used. Start again from the application.")
            }
            return .consent(id: try await hold(request))
        }
        guard let redirectURI = query["redirect_uri"], RedirectURIMatch.accepts(redirectURI, for: client) else {
            return .errorPage(
                "The application asked to send you to an address it has not registered, so you were not sent anywhere."
            )
        }
        let state = query["state"]
        if configuration.requirePushedAuthorizationRequests || client.requirePushedAuthorizationRequests {
            let error = OAuthError.invalidRequest("this client must use pushed authorization requests (RFC 9126)")
            return answer(error, to: redirectURI, state: state, client: client, metadata: metadata)
        }
        do {
            let request = try validate(query, client: client, redirectURI: redirectURI)
            try refuseByChallengePolicy(request, client: AuthenticatedClient(record: client, method: client.authMethod, metadata: metadata))
            return .consent(id: try await hold(request))
        } catch let error as OAuthError {
            return answer(error, to: redirectURI, state: state, client: client, metadata: metadata)
        }
    }

    /// An error for the client's verified redirect URI before the person has seen the client on the consent page:
    /// redirected when the operator registered the client, which vouches for the URI; a page with a link to it for a
    /// client anyone can create — a metadata document or a self-registration — whose redirect URI is only its own word
    /// (RFC 9700 §4.11.2: redirect automatically only to a trusted URI, never as an open redirector).
    func answer(_ error: OAuthError, to redirectURI: String, state: String?, client: ClientRecord, metadata: MetadataClient?) -> Outcome {
        let location = Self.errorRedirect(redirectURI, error, state: state, issuer: configuration.issuer)
        guard client.registration != nil || metadata != nil else { return .redirect(location) }
        let who = ClientPresentation(client, document: metadata?.document)
        return .errorPageWithLink(ErrorLink(location: location, redirectURI: redirectURI, error: error, client: who))
    }

    /// The held request behind a consent page, if it is still waiting.
    public func pending(id: String) async throws -> Pending? {
        guard id.utf8.count <= 64, let record = try await store.request(idHash: TokenIssuer.hashToken(id), at: now()),
            record.kind == AuthorizationRequestRecord.pending,
            let request = try? JSONDecoder().decode(OAuthAuthorizationRequest.self, from: Data(record.parameters.utf8)),
            let client = try await self.client(id: request.clientID),
            // A redirect URI taken from the client since the request was held voids it (review round 13, L6).
            RedirectURIMatch.accepts(request.redirectURI, for: client.record)
        else { return nil }
        return Pending(request: request, client: client.record, document: client.metadata?.document, heldAt: record.createdAt)
    }

    /// Whether a session signed in at `authTime` may answer the held request now (``SignInRequirement``).
    /// - Parameters:
    ///   - held: the held request.
    ///   - authTime: when the session signed in.
    /// - Returns: `false` when the person must sign in again first.
    public func signInSatisfies(_ held: Pending, authTime: Date) -> Bool {
        held.signIn.isSatisfied(byAuthTime: authTime, heldAt: held.heldAt, now: now())
    }

    /// A registered client or, when metadata documents are accepted, the client a URL `client_id`'s
    /// document describes (draft-ietf-oauth-client-id-metadata-document §4): the same lookup as the
    /// token endpoint's, so both doors know the same clients.
    /// - Throws: ``OAuthError`` `invalid_client` when a document cannot be fetched or used.
    func client(id: String) async throws -> (record: ClientRecord, metadata: MetadataClient?)? {
        guard ClientAuthenticator.canNameAClient(id), let (record, metadata) = try await authenticator.lookup(id) else { return nil }
        return (record, metadata)
    }

    /// Records the person's decision and returns where the browser goes (RFC 6749 §4.1.2): the
    /// redirect URI with `code`, `state` and `iss`, or with `error=access_denied`.
    /// - Parameters:
    ///   - id: the pending authorization request.
    ///   - username: the signed-in person deciding.
    ///   - approve: `false` denies.
    ///   - approvedScope: the scope tokens left ticked; `nil` approves all that was asked.
    ///   - approvedDetails: the indexes of the `authorization_details` entries left ticked; `nil` approves all.
    ///   - authTime: when the person signed in.
    /// - Returns: The redirect URI the browser is sent to.
    /// - Throws: ``Problem/unknownOrExpired`` when the request was already decided or expired;
    ///   ``Problem/signInAgain`` when the session's sign-in is too old for it (the request stays held).
    public func decide(
        id: String,
        username: String,
        approve: Bool,
        approvedScope: Set<String>?,
        approvedDetails: Set<Int>? = nil,
        authTime: Date
    ) async throws -> String {
        try await decide(
            id: id,
            username: username,
            approve: approve,
            approvedScope: approvedScope,
            approvedDetails: approvedDetails,
            authTime: authTime,
            rememberedConsent: nil
        )
    }

    /// ``decide(id:username:approve:approvedScope:approvedDetails:authTime:)``, under a remembered
    /// consent when `rememberedConsent` names one; otherwise an approval is remembered as a new consent.
    func decide(
        id: String,
        username: String,
        approve: Bool,
        approvedScope: Set<String>?,
        approvedDetails: Set<Int>?,
        authTime: Date,
        rememberedConsent: String?
    ) async throws -> String {
        // OpenID Connect Core §3.1.2.1: `max_age` is measured now, at the decision, not when the request arrived
        // or the page was shown; a sign-in too old for it is sent to sign in again before the request is used up,
        // never answered with a code for the old sign-in.
        guard id.utf8.count <= 64, let held = try await store.request(idHash: TokenIssuer.hashToken(id), at: now()),
            held.kind == AuthorizationRequestRecord.pending,
            let asked = try? JSONDecoder().decode(OAuthAuthorizationRequest.self, from: Data(held.parameters.utf8))
        else { throw Problem.unknownOrExpired }
        guard SignInRequirement(asked).isSatisfied(byAuthTime: authTime, heldAt: held.createdAt, now: now()) else {
            throw Problem.signInAgain
        }
        // Checked before the request is spent: a consent that no longer answers it leaves the person to be asked.
        let consent = try await remembered(rememberedConsent, answering: asked, of: username)
        guard id.utf8.count <= 64, let record = try await store.consumeRequest(idHash: TokenIssuer.hashToken(id), at: now()),
            record.kind == AuthorizationRequestRecord.pending,
            let request = try? JSONDecoder().decode(OAuthAuthorizationRequest.self, from: Data(record.parameters.utf8))
        else { throw Problem.unknownOrExpired }
        guard approve else {
            return Self.errorRedirect(
                request.redirectURI,
                OAuthError("access_denied", "the resource owner denied the request"),
                state: request.state,
                issuer: configuration.issuer
            )
        }
        let scope = approvedScope.map { approved in request.scope.filter { approved.contains($0) } } ?? request.scope
        var details: [JSONValue]?
        let keptDetails = (request.authorizationDetails ?? []).enumerated().filter { approvedDetails?.contains($0.offset) ?? true }
            .map(\.element)
        // An unticked entry, or a remembered consent answering for fewer entries, leaves its forbids in force (H6).
        let forbidding = (request.authorizationDetails ?? []) + Self.entries(consent?.authorizationDetails)
        let current = now()
        do {
            // The authorization endpoint's question again, now with the approving person as `user`: an owner's
            // rule naming the person refuses the approval, and no code is issued for it.
            guard let client = try await client(id: request.clientID)?.record, RedirectURIMatch.accepts(request.redirectURI, for: client)
            else { throw Problem.unknownOrExpired }
            let question = Self.approval(
                by: client,
                audiences: ResourceCheck.unique(request.resources + ResourceCheck.locations(of: keptDetails)),
                user: username
            )
            _ = try scopeCheck.grantedScope(requested: Scope(scope), offered: .empty, question: question)
            try scopeCheck.refuseForbiddenTypes(of: keptDetails, question: question)
            // RFC 9396 §7: granted for this person now that they are known (Cedar pins the principal), a `valid_for`
            // window counted from when they approved: now, or the remembered consent's approval.
            if !keptDetails.isEmpty {
                let granted = try authorizationDetails.grant(
                    keptDetails,
                    to: .init(clientID: request.clientID, subject: username),
                    approvedAt: consent?.createdAt ?? current
                )
                details = CedarForbidCarry.carry(from: forbidding, into: granted)
            }
        } catch let error as OAuthError {
            return Self.errorRedirect(request.redirectURI, error, state: request.state, issuer: configuration.issuer)
        }
        // Approving nothing of what was asked is a denial.
        if scope.isEmpty, details == nil, !request.scope.isEmpty || request.authorizationDetails != nil {
            return Self.errorRedirect(
                request.redirectURI,
                OAuthError("access_denied", "the resource owner approved none of the requested access"),
                state: request.state,
                issuer: configuration.issuer
            )
        }
        let code = TokenIssuer.randomIdentifier()
        // Remembered before the code leaves: withdrawing the consent must find its grant.
        let consentID = try await rememberConsent(
            consent?.id,
            request: request,
            subject: username,
            scope: scope,
            details: CedarForbidCarry.carry(from: forbidding, into: keptDetails),
            at: current
        )
        var approved = ApprovedAuthorization(
            request: request,
            subject: username,
            scope: scope,
            authTime: Int(authTime.timeIntervalSince1970)
        )
        approved.authorizationDetails = details
        approved.consentID = consentID
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let codeRecord = AuthorizationCodeRecord(
            codeHash: TokenIssuer.hashToken(code),
            clientID: request.clientID,
            grantID: TokenIssuer.sortableIdentifier(),
            payload: String(decoding: try encoder.encode(approved), as: UTF8.self),
            createdAt: current,
            expiresAt: current.addingTimeInterval(configuration.codeLifetime)
        )
        // Linked to its consent as it is created, while the consent stands: one withdrawn meanwhile issues no code (J5).
        guard try await store.createCode(codeRecord, underConsent: consentID) else {
            let withdrawn = OAuthError("access_denied", "the consent was withdrawn while this request was answered")
            return Self.errorRedirect(request.redirectURI, withdrawn, state: request.state, issuer: configuration.issuer)
        }
        var parameters = [("code", code)]
        if let state = request.state { parameters.append(("state", state)) }
        parameters.append(("iss", configuration.issuer))
        return Self.appending(parameters, to: request.redirectURI)
    }

    /// Answers a held request at the client's redirect URI without showing a page (OpenID Connect Core
    /// §3.1.2.6): `prompt=none` found no signed-in person (`login_required`) or no remembered consent
    /// (`consent_required`). The request is spent.
    /// - Parameters:
    ///   - id: the pending authorization request.
    ///   - error: the error to send.
    /// - Returns: the redirect URI with `error`, `state` and `iss` — on a page with a link for a client anyone can
    ///   create (``answer(_:to:state:client:metadata:)``: no page was shown, so nobody saw the client yet);
    ///   `nil` when the request is unknown or expired.
    /// - Throws: store failures.
    public func answerWithoutPage(id: String, _ error: OAuthError) async throws -> Outcome? {
        guard id.utf8.count <= 64, let record = try await store.consumeRequest(idHash: TokenIssuer.hashToken(id), at: now()),
            record.kind == AuthorizationRequestRecord.pending,
            let request = try? JSONDecoder().decode(OAuthAuthorizationRequest.self, from: Data(record.parameters.utf8)),
            let found = try? await client(id: request.clientID)
        else { return nil }
        return answer(error, to: request.redirectURI, state: request.state, client: found.record, metadata: found.metadata)
    }

    // MARK: - Pushed authorization requests (RFC 9126 §2)

    /// Stores a pushed request from an authenticated client and returns its single-use `request_uri`.
    public func push(form: FormParameters, credentials: ClientCredentials) async throws -> PushedAuthorizationResponse {
        let authenticated = try await authenticator.authenticate(credentials, allowPublic: true)
        let client = authenticated.record
        guard form["request_uri"] == nil else {
            throw OAuthError.invalidRequest("request_uri is not allowed in a pushed authorization request (RFC 9126 §2.1)")
        }
        if let named = form["client_id"], named != client.id {
            throw OAuthError.invalidRequest("client_id does not match the authenticated client")
        }
        guard let redirectURI = form["redirect_uri"] else { throw OAuthError.invalidRequest("redirect_uri is required") }
        guard RedirectURIMatch.accepts(redirectURI, for: client) else {
            throw OAuthError.invalidRequest(
                "redirect_uri is not one of this client's registered redirect URIs (exact match; only the port of a public or native client's loopback IP redirect URI may differ, RFC 8252 §7.3)"
            )
        }
        let request = try validate(form, client: client, redirectURI: redirectURI)
        try refuseByChallengePolicy(request, client: authenticated)
        let requestURI = Self.requestURIPrefix + TokenIssuer.randomIdentifier()
        let current = now()
        try await store.createRequest(
            AuthorizationRequestRecord(
                idHash: TokenIssuer.hashToken(requestURI),
                kind: AuthorizationRequestRecord.pushed,
                clientID: client.id,
                parameters: try Self.encode(request),
                createdAt: current,
                expiresAt: current.addingTimeInterval(configuration.pushedRequestLifetime)
            )
        )
        return PushedAuthorizationResponse(requestURI: requestURI, expiresIn: Int(configuration.pushedRequestLifetime))
    }

    // MARK: - Validation

    /// The checks after the redirect URI is verified (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2).
    func validate(_ parameters: FormParameters, client: ClientRecord, redirectURI: String) throws(OAuthError) -> OAuthAuthorizationRequest {
        guard let responseType = parameters["response_type"] else { throw OAuthError.invalidRequest("response_type is required") }
        guard responseType == "code" else {
            throw OAuthError("unsupported_response_type", "only response_type=code is supported")
        }
        guard client.grantTypes.contains(.authorizationCode) else {
            throw OAuthError.unauthorizedClient("this client is not allowed to use the authorization code grant")
        }
        guard let challenge = parameters["code_challenge"] else {
            throw OAuthError.invalidRequest("code_challenge is required: PKCE (RFC 7636) with S256 is mandatory for every client")
        }
        guard parameters["code_challenge_method"] == "S256" else {
            throw OAuthError.invalidRequest("code_challenge_method must be S256; plain is not accepted")
        }
        guard challenge.utf8.count == 43,
            challenge.unicodeScalars.allSatisfy({
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_".unicodeScalars.contains($0))
            })
        else { throw OAuthError.invalidRequest("code_challenge must be a base64url SHA-256 hash (43 characters)") }
        let resources = parameters.all("resource")
        try resourceCheck.requireNamed(resources, client: client)
        _ = try resourceCheck.audience(for: resources)
        let requested = try parameters["authorization_details"].map { text throws(OAuthError) in
            try AuthorizationDetailsProcessor.parse(text)
        }
        // The entries' locations become the token's audience as the resources do (RFC 9396 §2): asked about alike (J1).
        let question = Self.approval(
            by: client,
            audiences: ResourceCheck.unique(resources + ResourceCheck.locations(of: requested)),
            user: nil
        )
        let scope = try scopeCheck.grantedScope(
            requested: try parameters["scope"].map { scope throws(OAuthError) in try Scope(parsing: scope) },
            offered: Scope(client.scopes),
            question: question
        )
        if let state = parameters["state"], state.utf8.count > 2048 { throw OAuthError.invalidRequest("state is longer than 2048 bytes") }
        if let nonce = parameters["nonce"], nonce.utf8.count > 512 { throw OAuthError.invalidRequest("nonce is longer than 512 bytes") }
        if parameters["request"] != nil { throw OAuthError("request_not_supported", "request objects are not supported; use PAR") }
        let signIn = try SignInRequirement(prompt: parameters["prompt"], maxAge: parameters["max_age"])
        var details: [JSONValue]?
        if let requested {
            // Types, members and client restrictions are checked now (errors go back to the client);
            // the grant itself is made for the person who approves.
            _ = try authorizationDetails.grant(requested, to: .init(clientID: client.id, subject: client.id))
            // RFC 9396 §5: a type an owner's policy forbids is refused now, not after the person approved it.
            try scopeCheck.refuseForbiddenTypes(of: requested, question: question)
            details = requested
        }
        return OAuthAuthorizationRequest(
            clientID: client.id,
            redirectURI: redirectURI,
            scope: scope.tokens,
            resources: resources,
            state: parameters["state"],
            nonce: parameters["nonce"],
            codeChallenge: challenge,
            authorizationDetails: details,
            prompt: signIn.prompt.isEmpty ? nil : signIn.prompt.sorted(),
            maxAge: signIn.maxAge
        )
    }

    /// The question a person's approval answers (`Action::"approve"`): asked at the authorization endpoint and PAR
    /// before anyone is known, and again as the person approves, with them as `user` (as GNAP's continuation does).
    /// - Parameters:
    ///   - client: the client asking.
    ///   - audiences: the RFC 8707 resources asked for.
    ///   - user: the approving person, once known.
    /// - Returns: the question, its rights left to the check that asks it.
    static func approval(by client: ClientRecord, audiences: [String], user: String?) -> AccessQuestion {
        AccessQuestion(
            party: .init(oauth: client),
            operation: .approve,
            rights: [],
            audiences: audiences,
            user: user,
            door: .oauth,
            grantType: "authorize"
        )
    }

    private func hold(_ request: OAuthAuthorizationRequest) async throws -> String {
        let id = TokenIssuer.randomIdentifier()
        let current = now()
        try await store.createRequest(
            AuthorizationRequestRecord(
                idHash: TokenIssuer.hashToken(id),
                kind: AuthorizationRequestRecord.pending,
                clientID: request.clientID,
                parameters: try Self.encode(request),
                createdAt: current,
                expiresAt: current.addingTimeInterval(configuration.requestLifetime)
            )
        )
        return id
    }

    static func encode(_ request: OAuthAuthorizationRequest) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(request), as: UTF8.self)
    }

    /// RFC 6749 §4.1.2.1 with RFC 9207 §2: `error`, `error_description`, `state` and `iss`.
    static func errorRedirect(_ redirectURI: String, _ error: OAuthError, state: String?, issuer: String) -> String {
        var parameters = [("error", error.code.rawValue), ("error_description", error.message)]
        if let state { parameters.append(("state", state)) }
        parameters.append(("iss", issuer))
        return appending(parameters, to: redirectURI)
    }

    /// Adds query parameters to a registered URI, keeping its own query (RFC 6749 §3.1.2).
    static func appending(_ parameters: [(String, String)], to uri: String) -> String {
        let query = parameters.map { FormParameters.encode($0.0) + "=" + FormParameters.encode($0.1) }.joined(separator: "&")
        return uri + (uri.contains("?") ? "&" : "?") + query
    }
}
