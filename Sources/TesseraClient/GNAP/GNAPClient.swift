public import Foundation
public import HTTPMessageSignatures
public import TesseraProtocol

/// A GNAP client instance (RFC 9635): asks an AS for grants, follows continuations, manages tokens and
/// presents bound tokens to resource servers. Every request to the AS is signed with the client key using the
/// httpsig proofing method (RFC 9635 §7.3.1).
///
/// ```swift
/// let client = GNAPClient(grantEndpoint: "https://as.example/gnap", key: .generate(.ed25519))
/// var grant = try await client.requestGrant(
///     GNAPGrantRequest(accessToken: .multiple([
///         GNAPTokenRequest(access: [.reference("photos")], label: "read"),
///         GNAPTokenRequest(access: [.reference("billing")], label: "pay"),
///     ])))
/// grant = try await client.awaitApproval(grant)          // polls while pending, honouring `wait`
/// let photos = try #require(grant.token(labelled: "read"))
/// let response = try await client.send(resourceRequest, presenting: photos)   // Authorization: GNAP … + signature
/// ```
public struct GNAPClient: Sendable {
    /// Settings with working defaults.
    public struct Configuration: Sendable {
        /// The grant endpoint URL (RFC 9635 §2), e.g. `https://as.example/gnap`.
        public var grantEndpoint: String
        /// Self-asserted display information sent with the key (RFC 9635 §2.3.2).
        public var display: GNAPDisplay?
        /// The client software identifier (RFC 9635 §2.3).
        public var classID: String?
        /// An instance identifier from an earlier response (RFC 9635 §3.5): sent as `client` instead of the key.
        public var instanceID: String?
        /// How many continuation polls ``GNAPClient/awaitApproval(_:maximumPolls:onPending:)`` makes by default.
        public var maximumPolls: Int = 120
        /// Waits longer than this are refused instead of slept (a guard against a hostile `wait`).
        public var maximumWait: Duration = .seconds(3600)
        /// Prove with `mtls` (RFC 9635 §7.3.2) instead of httpsig: the key is sent as this certificate and
        /// requests are not signed, because TLS proves the key. The transport must present the certificate
        /// and its private key on every connection (``AsyncHTTPClientTransport/mutualTLS(certificateChainPEM:privateKeyPEM:trustRootsPEM:)``).
        public var mutualTLSCertificate: GNAPCertificate?

        /// Creates a configuration for `grantEndpoint`.
        public init(grantEndpoint: String) { self.grantEndpoint = grantEndpoint }
    }

    /// The client instance key; every AS request is signed with it and bound tokens are bound to it.
    public let key: GNAPKeyPair
    /// The settings.
    public var configuration: Configuration
    private let transport: any TesseraTransport
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    private let signer: GNAPRequestSigner

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - configuration: The AS and client settings.
    ///   - key: The client instance key (``GNAPKeyPair/generate(_:keyID:)`` or ``GNAPKeyPair/init(privateJWK:)``).
    ///   - transport: Sends HTTP; AsyncHTTPClient by default.
    ///   - now: The wall clock (signature `created`, continuation deadlines).
    ///   - sleep: How waiting for `wait` is done; tests inject one that does not sleep.
    public init(
        configuration: Configuration,
        key: GNAPKeyPair,
        transport: any TesseraTransport = AsyncHTTPClientTransport(),
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.configuration = configuration
        self.key = key
        self.transport = transport
        self.now = now
        self.sleep = sleep
        self.signer = key.signer(now: now)
    }

    /// Creates a client for `grantEndpoint` with default settings.
    public init(
        grantEndpoint: String,
        key: GNAPKeyPair,
        transport: any TesseraTransport = AsyncHTTPClientTransport(),
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.init(configuration: Configuration(grantEndpoint: grantEndpoint), key: key, transport: transport, now: now, sleep: sleep)
    }

    // MARK: - Discovery

    /// Asks the AS what it supports: `OPTIONS` on the grant endpoint (RFC 9635 §9).
    ///
    /// - Throws: ``GNAPClientError`` `invalidResponse` if the document is missing or names another grant endpoint.
    public func discover() async throws -> GNAPDiscovery {
        let request = try makeRequest(method: "OPTIONS", uri: configuration.grantEndpoint, body: nil, token: nil, sign: false)
        let response = try await transport.send(request)
        guard response.status == 200 else { throw try Self.errorFrom(response) }
        let document = try Self.decode(GNAPDiscovery.self, from: response, "the discovery document is not valid")
        // RFC 9635 §9: grant_request_endpoint MUST equal the URL used for discovery.
        guard document.grantRequestEndpoint == configuration.grantEndpoint else {
            throw GNAPClientError.invalidResponse("the discovery document names another grant endpoint")
        }
        return document
    }

    // MARK: - Grants

    /// Sends a grant request (RFC 9635 §2) and returns the validated response.
    ///
    /// `client` is filled in when the request has none: the instance identifier from ``Configuration/instanceID``,
    /// or the key by value with `proof: httpsig` (RFC 9635 §2.3).
    ///
    /// - Parameters:
    ///   - request: The request; several tokens need unique labels (RFC 9635 §2.1.2).
    ///   - referrer: From an RS-first challenge (RFC 9635 §9.1): sent as the `Referer` header.
    /// - Throws: ``GNAPClientError``: `grantError` with the AS's error, `invalidResponse` when the response breaks
    ///   RFC 9635 §3 (e.g. a token with both `bearer` and `key`), `invalidRequest` for a malformed request.
    /// - Returns: The grant: tokens if approved at once, else the continuation to poll.
    public func requestGrant(_ request: GNAPGrantRequest, referrer: String? = nil) async throws -> GNAPGrant {
        var request = request
        if request.client == nil {
            if let instanceID = configuration.instanceID {
                request.client = .instance(instanceID)
            } else {
                request.client = .value(
                    GNAPClientInstance(key: presentedKey, classID: configuration.classID, display: configuration.display)
                )
            }
        }
        guard request.interactRef == nil else {
            throw GNAPClientError(.invalidRequest, "interact_ref belongs in a continuation request (RFC 9635 §5.1)")
        }
        try Self.validate(request.accessToken)
        var extraHeaders: [HTTPSignatureField] = []
        if let referrer { extraHeaders.append(HTTPSignatureField(name: "Referer", value: referrer)) }
        let body = try Self.encode(request)
        let response = try await send(method: "POST", uri: configuration.grantEndpoint, body: body, token: nil, extraHeaders: extraHeaders)
        return try processGrantResponse(response, requested: request.accessToken)
    }

    /// Continues a grant (RFC 9635 §5): a `POST` to the continuation URI with the continuation token, after
    /// waiting until ``GNAPContinuation/notBefore``.
    ///
    /// - Parameters:
    ///   - continuation: The **newest** continuation (from the last response for this grant).
    ///   - interactRef: The interaction reference from the finish callback (RFC 9635 §5.1); `nil` polls (§5.2).
    ///   - requested: The original `access_token` request, to check the response's cardinality and labels.
    /// - Returns: The grant with the new continuation (whose token replaces the one used).
    /// - Throws: ``GNAPClientError`` `grantError` (e.g. `invalid_continuation`, `too_fast`, `user_denied`),
    ///   `invalidResponse`.
    public func continueGrant(
        _ continuation: GNAPContinuation,
        interactRef: String? = nil,
        requested: GNAPTokenRequests? = nil
    ) async throws -> GNAPGrant {
        // After an interaction the client continues at once (RFC 9635 §5.1); `wait` governs polling.
        if interactRef == nil { try await waitUntil(continuation.notBefore) }
        let body = try interactRef.map { try Self.encode(GNAPGrantRequest(interactRef: $0)) }
        let response = try await send(method: "POST", uri: continuation.uri, body: body, token: continuation.accessToken)
        return try processGrantResponse(response, requested: requested)
    }

    /// Polls a pending grant until the AS approves or refuses it (RFC 9635 §5.2), honouring every `wait` and
    /// always using the newest continuation token.
    ///
    /// - Parameters:
    ///   - grant: The grant as last returned.
    ///   - requested: The original `access_token` request (to validate the eventual tokens).
    ///   - maximumPolls: Give up after this many polls (default ``Configuration/maximumPolls``).
    ///   - onPending: Called with each pending state (e.g. to show the grant to a person).
    /// - Returns: The first grant state that is no longer pending.
    /// - Throws: ``GNAPClientError`` `grantError` (e.g. `user_denied`), `pollingLimit`.
    public func awaitApproval(
        _ grant: GNAPGrant,
        requested: GNAPTokenRequests? = nil,
        maximumPolls: Int? = nil,
        onPending: @Sendable (GNAPGrant) async -> Void = { _ in }
    ) async throws -> GNAPGrant {
        var current = grant
        var polls = 0
        while current.isPending {
            guard let continuation = current.continuation else { break }
            guard polls < (maximumPolls ?? configuration.maximumPolls) else {
                throw GNAPClientError(.pollingLimit, "the grant is still pending after \(polls) polls", continuation: continuation)
            }
            await onPending(current)
            current = try await continueGrant(continuation, requested: requested)
            polls += 1
        }
        return current
    }

    /// Modifies a grant (RFC 9635 §5.3): `PATCH` with only the members that change. `client` and
    /// `interact_ref` are not allowed.
    public func modifyGrant(_ continuation: GNAPContinuation, _ changes: GNAPGrantRequest) async throws -> GNAPGrant {
        guard changes.client == nil, changes.interactRef == nil else {
            throw GNAPClientError(.invalidRequest, "a modification must not carry client or interact_ref (RFC 9635 §5.3)")
        }
        try Self.validate(changes.accessToken)
        try await waitUntil(continuation.notBefore)
        let response = try await send(
            method: "PATCH",
            uri: continuation.uri,
            body: try Self.encode(changes),
            token: continuation.accessToken
        )
        return try processGrantResponse(response, requested: changes.accessToken)
    }

    /// Revokes the whole grant (RFC 9635 §5.4): `DELETE` on the continuation URI; the AS answers 204.
    public func cancelGrant(_ continuation: GNAPContinuation) async throws {
        let response = try await send(method: "DELETE", uri: continuation.uri, body: nil, token: continuation.accessToken)
        guard (200..<300).contains(response.status) else { throw try Self.errorFrom(response) }
    }

    // MARK: - Token management

    /// Rotates an access token (RFC 9635 §6.1): `POST` to its management URI with the management token.
    ///
    /// - Returns: The new token, with the new `manage` the client must use from now on.
    /// - Throws: ``GNAPClientError`` `notManageable` without `manage`; `grantError` (e.g. `invalid_rotation`, after
    ///   which the old token is unchanged); `invalidResponse` if the new token is not a valid rotation.
    public func rotate(_ token: GNAPAccessToken) async throws -> GNAPAccessToken {
        guard let manage = token.manage else { throw GNAPClientError(.notManageable, "the token has no manage (RFC 9635 §6)") }
        let response = try await send(method: "POST", uri: manage.uri, body: nil, token: manage.accessToken.value)
        guard response.status == 200 else { throw try Self.errorFrom(response) }
        let raw = try Self.jsonObject(response)
        if raw["error"] != nil { throw try Self.errorFrom(response) }
        guard let tokenObject = raw["access_token"], case .object = tokenObject else {
            throw GNAPClientError.invalidResponse("a rotation response must hold one access_token object (RFC 9635 §6.1)")
        }
        let decoded = try Self.decode(GNAPGrantResponse.self, from: response, "the rotation response is not valid")
        guard case .single(var rotated) = decoded.accessToken else {
            throw GNAPClientError.invalidResponse("a rotation response must hold one access_token object (RFC 9635 §6.1)")
        }
        try Self.validate(token: rotated, raw: tokenObject)
        guard rotated.value != token.value else {
            throw GNAPClientError.invalidResponse("the rotated token has the old value (RFC 9635 §6.1)")
        }
        guard rotated.manage != nil else {
            throw GNAPClientError.invalidResponse("a rotated token must carry manage (RFC 9635 §6.1)")
        }
        guard Set(rotated.access) == Set(token.access) else {
            throw GNAPClientError.invalidResponse("rotation changed the token's access (RFC 9635 §6.1)")
        }
        if rotated.label == nil { rotated.label = token.label }
        return rotated
    }

    /// Revokes an access token (RFC 9635 §6.2): `DELETE` on its management URI; the AS answers 204.
    public func revoke(_ token: GNAPAccessToken) async throws {
        guard let manage = token.manage else { throw GNAPClientError(.notManageable, "the token has no manage (RFC 9635 §6)") }
        let response = try await send(method: "DELETE", uri: manage.uri, body: nil, token: manage.accessToken.value)
        guard (200..<300).contains(response.status) else { throw try Self.errorFrom(response) }
    }

    // MARK: - Presenting tokens to a resource server

    /// Adds a token to a request for an RS (RFC 9635 §7.2): `Authorization: GNAP <value>` and an httpsig
    /// signature covering it for a bound token; `Authorization: Bearer <value>` for a `bearer` token.
    ///
    /// - Throws: ``GNAPClientError`` `unsupportedTokenKey` if the token is bound to a key other than ours.
    public func authorize(_ request: inout HTTPSignatureRequest, with token: GNAPAccessToken) throws {
        request.headerFields.removeAll { $0.name == "authorization" }
        if token.isBearer {
            guard token.key == nil else {
                throw GNAPClientError.invalidResponse("a token cannot be both bearer and bound to a key (RFC 9635 §3.2.1)")
            }
            request.appendHeader(name: "Authorization", value: "Bearer \(token.value)")
            return
        }
        if let certificate = configuration.mutualTLSCertificate {
            // mtls: the TLS connection proves the key; the token is only named (RFC 9635 §7.2, §7.3.2).
            if let bound = token.key {
                guard case .value(let boundKey) = bound, boundKey.proof.method == "mtls", certificate.matches(boundKey) else {
                    throw GNAPClientError(.unsupportedTokenKey, "the token is bound to a key this client does not hold")
                }
            }
            request.appendHeader(name: "Authorization", value: "GNAP \(token.value)")
            return
        }
        if let bound = token.key {
            guard case .value(let boundKey) = bound, let jwk = boundKey.jwk, boundKey.proof.method == "httpsig",
                let theirs = try? jwk.thumbprint(), let ours = try? key.thumbprint(), theirs == ours
            else {
                throw GNAPClientError(.unsupportedTokenKey, "the token is bound to a key this client does not hold")
            }
        }
        request.appendHeader(name: "Authorization", value: "GNAP \(token.value)")
        do {
            try signer.sign(&request)
        } catch {
            throw GNAPClientError(.signingFailed, "signing failed: \(error)")
        }
    }

    /// Sends a request to an RS presenting `token` (see ``authorize(_:with:)``).
    public func send(_ request: HTTPSignatureRequest, presenting token: GNAPAccessToken) async throws -> TesseraHTTPResponse {
        var request = request
        try authorize(&request, with: token)
        return try await transport.send(request)
    }

    /// The key as sent in `client`: the httpsig JWK, or the certificate with `proof: mtls`.
    public var presentedKey: GNAPKey {
        guard let certificate = configuration.mutualTLSCertificate else { return key.gnapKey }
        return GNAPKey(proof: GNAPProof(method: "mtls"), cert: certificate.pem)
    }

    // MARK: - Private

    private func waitUntil(_ date: Date) async throws {
        let remaining = date.timeIntervalSince(now())
        guard remaining > 0 else { return }
        let duration = Duration.milliseconds(Int64((remaining * 1000).rounded(.up)))
        guard duration <= configuration.maximumWait else {
            throw GNAPClientError(.invalidResponse, "the AS asked to wait longer than the configured maximum")
        }
        try await sleep(duration)
    }

    private func makeRequest(
        method: String,
        uri: String,
        body: [UInt8]?,
        token: String?,
        sign: Bool,
        extraHeaders: [HTTPSignatureField] = []
    )
        throws -> HTTPSignatureRequest
    {
        var headers: [HTTPSignatureField] = [HTTPSignatureField(name: "Accept", value: "application/json")]
        if body != nil { headers.append(HTTPSignatureField(name: "Content-Type", value: "application/json")) }
        if let token { headers.append(HTTPSignatureField(name: "Authorization", value: "GNAP \(token)")) }
        headers += extraHeaders
        var request: HTTPSignatureRequest
        do {
            request = try HTTPSignatureRequest(method: method, targetURI: uri, headerFields: headers, body: body)
        } catch {
            throw GNAPClientError(.invalidRequest, "not an absolute http(s) URI: \(uri)")
        }
        if sign, configuration.mutualTLSCertificate == nil {
            do {
                try signer.sign(&request)
            } catch {
                throw GNAPClientError(.signingFailed, "signing failed: \(error)")
            }
        }
        return request
    }

    private func send(
        method: String,
        uri: String,
        body: [UInt8]?,
        token: String?,
        extraHeaders: [HTTPSignatureField] = []
    )
        async throws -> TesseraHTTPResponse
    {
        let request = try makeRequest(method: method, uri: uri, body: body, token: token, sign: true, extraHeaders: extraHeaders)
        return try await transport.send(request)
    }

    /// Checks a grant response against RFC 9635 §3 and turns it into a ``GNAPGrant``.
    func processGrantResponse(_ response: TesseraHTTPResponse, requested: GNAPTokenRequests?) throws -> GNAPGrant {
        let raw = try Self.jsonObject(response)
        if raw["error"] != nil || response.status >= 400 { throw try errorFrom(response, raw: raw) }
        guard response.status == 200 else {
            throw GNAPClientError(.unexpectedStatus, "a grant response must be 200, got \(response.status)", status: response.status)
        }
        let decoded = try Self.decode(GNAPGrantResponse.self, from: response, "the grant response is not valid")
        let continuation = try makeContinuation(decoded.continue, raw: raw["continue"])
        if let tokens = decoded.accessToken {
            try Self.validate(tokens: tokens, raw: raw["access_token"], requested: requested)
        }
        guard continuation != nil || decoded.accessToken != nil || decoded.subject != nil else {
            throw GNAPClientError.invalidResponse("the response has no tokens, no subject and no continue (RFC 9635 §3)")
        }
        return GNAPGrant(response: decoded, continuation: continuation)
    }

    private func makeContinuation(_ value: GNAPContinue?, raw: JSONValue?) throws -> GNAPContinuation? {
        guard let value else { return nil }
        guard case .object(let object) = raw, case .object(let token) = object["access_token"] else {
            throw GNAPClientError.invalidResponse("continue needs an access_token object (RFC 9635 §3.1)")
        }
        try Self.requireBoundOnly(token, what: "the continuation token")
        guard Self.isToken68(value.accessToken.value) else {
            throw GNAPClientError.invalidResponse("the continuation token is not a token68 value (RFC 9635 §3.2.1)")
        }
        guard let url = URL(string: value.uri), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            url.host != nil
        else {
            throw GNAPClientError.invalidResponse("continue.uri is not an absolute URI (RFC 9635 §3.1)")
        }
        let seconds = value.wait ?? 5
        guard seconds >= 0 else { throw GNAPClientError.invalidResponse("continue.wait is negative") }
        let wait = Duration.seconds(seconds)
        return GNAPContinuation(
            uri: value.uri,
            accessToken: value.accessToken.value,
            wait: wait,
            notBefore: now().addingTimeInterval(TimeInterval(seconds))
        )
    }

    // MARK: Validation (static, testable)

    /// RFC 9635 §2.1: every token in a multi-token request has a unique label; no flag twice.
    static func validate(_ tokens: GNAPTokenRequests?) throws {
        guard let tokens else { return }
        if case .multiple(let many) = tokens {
            guard !many.isEmpty else { throw GNAPClientError(.invalidRequest, "access_token is an empty array") }
            var labels = Set<String>()
            for token in many {
                guard let label = token.label, !label.isEmpty else {
                    throw GNAPClientError(.invalidRequest, "every token in a multi-token request needs a label (RFC 9635 §2.1.2)")
                }
                guard labels.insert(label).inserted else {
                    throw GNAPClientError(.invalidRequest, "the label '\(label)' appears twice (RFC 9635 §2.1.2)")
                }
            }
        }
        for token in tokens.requests {
            let flags = token.flags ?? []
            guard Set(flags).count == flags.count else {
                throw GNAPClientError(.invalidRequest, "a flag appears twice (RFC 9635 §2.1.1)")
            }
            guard !token.access.isEmpty else { throw GNAPClientError(.invalidRequest, "a token request needs access rights") }
        }
    }

    /// RFC 9635 §3.2: cardinality and labels mirror the request; every token is valid on its own.
    static func validate(tokens: GNAPTokenResponses, raw: JSONValue?, requested: GNAPTokenRequests?) throws {
        switch (tokens, requested) {
        case (.multiple, .single?):
            throw GNAPClientError.invalidResponse("a single-token request was answered with an array (RFC 9635 §3.2)")
        case (.single, .multiple?):
            throw GNAPClientError.invalidResponse("a multi-token request was answered with one object (RFC 9635 §3.2)")
        default: break
        }
        let rawTokens: [JSONValue]
        switch raw {
        case .array(let array)?: rawTokens = array
        case .object?: rawTokens = raw.map { [$0] } ?? []
        default: throw GNAPClientError.invalidResponse("access_token is neither an object nor an array")
        }
        guard rawTokens.count == tokens.tokens.count else { throw GNAPClientError.invalidResponse("access_token is malformed") }
        var seen = Set<String>()
        let requestedLabels = Set(requested?.requests.compactMap(\.label) ?? [])
        for (token, rawToken) in zip(tokens.tokens, rawTokens) {
            try validate(token: token, raw: rawToken)
            if case .multiple = tokens {
                guard let label = token.label else {
                    throw GNAPClientError.invalidResponse("a token of a multi-token response has no label (RFC 9635 §3.2.2)")
                }
                guard seen.insert(label).inserted else {
                    throw GNAPClientError.invalidResponse("the label '\(label)' appears twice in the response (RFC 9635 §3.2.2)")
                }
            }
            if let label = token.label, requested != nil, !requestedLabels.contains(label) {
                throw GNAPClientError.invalidResponse("the AS returned a token with the unrequested label '\(label)'")
            }
        }
        if case .single(let one)? = requested, let label = one.label, tokens.tokens.first?.label != label {
            throw GNAPClientError.invalidResponse("the AS must echo the requested label (RFC 9635 §3.2.1)")
        }
    }

    /// RFC 9635 §3.2.1: token68 value, no duplicate flags, never `bearer` with `key`, management token bound.
    static func validate(token: GNAPAccessToken, raw: JSONValue) throws {
        guard isToken68(token.value) else {
            throw GNAPClientError.invalidResponse("an access token value is not token68 (RFC 9635 §3.2.1)")
        }
        let flags = token.flags ?? []
        guard Set(flags).count == flags.count else {
            throw GNAPClientError.invalidResponse("a token flag appears twice (RFC 9635 §3.2.1)")
        }
        if token.isBearer, token.key != nil {
            throw GNAPClientError.invalidResponse("a token has both the bearer flag and a key (RFC 9635 §3.2.1)")
        }
        if let expiresIn = token.expiresIn, expiresIn < 0 {
            throw GNAPClientError.invalidResponse("expires_in is negative")
        }
        if let manage = token.manage {
            guard case .object(let object) = raw, case .object(let manageObject) = object["manage"],
                case .object(let manageToken) = manageObject["access_token"]
            else {
                throw GNAPClientError.invalidResponse("manage needs an access_token object (RFC 9635 §3.2.1)")
            }
            try requireBoundOnly(manageToken, what: "the management token")
            guard isToken68(manage.accessToken.value) else {
                throw GNAPClientError.invalidResponse("the management token is not token68 (RFC 9635 §3.2.1)")
            }
            guard manage.accessToken.value != token.value else {
                throw GNAPClientError.invalidResponse("the management token equals the access token (RFC 9635 §3.2.1)")
            }
            guard URL(string: manage.uri)?.host != nil else {
                throw GNAPClientError.invalidResponse("manage.uri is not an absolute URI (RFC 9635 §3.2.1)")
            }
        }
    }

    /// Continuation and management tokens are bound: no `bearer` flag, no `key`, no `manage` (RFC 9635 §3.1, §3.2.1).
    static func requireBoundOnly(_ token: [String: JSONValue], what: String) throws {
        if case .array(let flags)? = token["flags"], flags.contains(.string("bearer")) {
            throw GNAPClientError.invalidResponse("\(what) must not be a bearer token (RFC 9635 §3.1)")
        }
        if token["key"] != nil { throw GNAPClientError.invalidResponse("\(what) must not carry a key (RFC 9635 §3.1)") }
        if token["manage"] != nil { throw GNAPClientError.invalidResponse("\(what) must not carry manage (RFC 9635 §3.1)") }
    }

    /// `token68` (RFC 9110 §11.2): `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
    static func isToken68(_ value: String) -> Bool {
        var sawPadding = false
        var count = 0
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "="):
                guard count > 0 else { return false }
                sawPadding = true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                if sawPadding { return false }
                count += 1
            default: return false
            }
        }
        return count > 0
    }

    static func encode(_ request: GNAPGrantRequest) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        do {
            return Array(try encoder.encode(request))
        } catch {
            throw GNAPClientError(.invalidRequest, "the request cannot be encoded: \(error)")
        }
    }

    static func jsonObject(_ response: TesseraHTTPResponse) throws -> [String: JSONValue] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(response.body)), case .object(let object) = value else {
            if response.status >= 400 {
                throw GNAPClientError(.unexpectedStatus, "HTTP \(response.status) without a GNAP error body", status: response.status)
            }
            throw GNAPClientError.invalidResponse("the response is not a JSON object", status: response.status)
        }
        return object
    }

    /// Decodes a response body as `type`; one that does not fit is `invalidResponse`: `what`, then the decoding error.
    static func decode<T: Decodable>(_ type: T.Type, from response: TesseraHTTPResponse, _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw GNAPClientError.invalidResponse("\(what): \(error)", status: response.status)
        }
    }

    /// The GNAP error in a grant response (RFC 9635 §3.6), with the `continue` it may carry and nothing else.
    private func errorFrom(_ response: TesseraHTTPResponse, raw: [String: JSONValue]) throws -> GNAPClientError {
        try Self.errorFrom(response, raw: raw) { body in
            guard raw.keys.allSatisfy({ $0 == "error" || $0 == "continue" }) else {
                throw GNAPClientError.invalidResponse("an error response carries members other than continue (RFC 9635 §3.6)")
            }
            return try makeContinuation(body.continue, raw: raw["continue"])
        }
    }

    /// The GNAP error in a response (RFC 9635 §3.6); `continuation` checks the rest of a grant response's error.
    private static func errorFrom(
        _ response: TesseraHTTPResponse,
        raw: [String: JSONValue]? = nil,
        continuation: (GNAPErrorBody) throws -> GNAPContinuation? = { _ in nil }
    ) throws -> GNAPClientError {
        guard try (raw ?? jsonObject(response))["error"] != nil else {
            return GNAPClientError(.unexpectedStatus, "HTTP \(response.status) without a GNAP error", status: response.status)
        }
        let body = try decode(GNAPErrorBody.self, from: response, "the error member is malformed (RFC 9635 §3.6)")
        let error = GNAPError(GNAPError.Code(rawValue: body.error.code), body.error.description ?? "")
        let continuation = try continuation(body)
        return GNAPClientError(.grantError, error.description, gnapError: error, status: response.status, continuation: continuation)
    }
}
