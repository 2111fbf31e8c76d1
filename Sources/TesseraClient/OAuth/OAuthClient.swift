public import Foundation
public import HTTPMessageSignatures
import Synchronization
public import TesseraProtocol

/// A small OAuth 2 client (RFC 6749) with DPoP (RFC 9449): requests tokens at a token endpoint,
/// answers `use_dpop_nonce` by retrying with the server's nonce, and calls resource servers with
/// `Authorization: DPoP` and a proof bound to the token (`ath`).
///
/// ```swift
/// let client = OAuthClient(tokenEndpoint: metadata.tokenEndpoint, clientID: "svc", authentication: .clientSecretBasic("…"))
/// let token = try await client.clientCredentials(scope: "read")          // token_type DPoP, cnf.jkt = client.dpop.thumbprint
/// let answer = try await client.call(method: "GET", url: "https://api.example/data", token: token)
/// ```
public struct OAuthClient: Sendable {
    /// How the client authenticates at the token endpoint (RFC 6749 §2.3).
    public enum Authentication: Sendable {
        /// A public client: `client_id` in the form.
        case none
        /// `Authorization: Basic` with the client secret.
        case clientSecretBasic(String)
        /// A fresh client assertion per request (RFC 7523 §2.2), signed with the client's key —
        /// the method of clients known by a metadata document URL. Its `aud` is the authorization
        /// server's `issuer` alone (draft-ietf-oauth-rfc7523bis: never the token endpoint).
        case privateKeyJWT(JWSSigner, issuer: String)
    }

    public let tokenEndpoint: String
    public let clientID: String
    public let authentication: Authentication
    /// The DPoP key; `nil` for a bearer-only client.
    public let dpop: DPoPProofSigner?
    /// Evidence providers for client challenges, by requirement type.
    public let challengeResponders: [any ClientChallengeResponder]
    private let transport: any TesseraTransport
    private let nonces = NonceStore()
    private let now: @Sendable () -> Date

    public init(
        tokenEndpoint: String,
        clientID: String,
        authentication: Authentication = .none,
        dpop: DPoPProofSigner? = DPoPProofSigner(),
        challengeResponders: [any ClientChallengeResponder] = [],
        transport: (any TesseraTransport)? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.tokenEndpoint = tokenEndpoint
        self.clientID = clientID
        self.authentication = authentication
        self.dpop = dpop
        self.challengeResponders = challengeResponders
        self.transport = transport ?? AsyncHTTPClientTransport()
        self.now = now
    }

    // MARK: - Token endpoint

    /// The client credentials grant (RFC 6749 §4.4).
    public func clientCredentials(scope: String? = nil, resources: [String] = []) async throws -> TokenResponse {
        var form: [(String, String)] = [("grant_type", "client_credentials")]
        if let scope { form.append(("scope", scope)) }
        for resource in resources { form.append(("resource", resource)) }
        return try await requestToken(form)
    }

    /// The refresh token grant (RFC 6749 §6); with DPoP, a public client's refresh token only works with this key.
    public func refresh(_ refreshToken: String, scope: String? = nil) async throws -> TokenResponse {
        var form: [(String, String)] = [("grant_type", "refresh_token"), ("refresh_token", refreshToken)]
        if let scope { form.append(("scope", scope)) }
        return try await requestToken(form)
    }

    /// Any grant: the form parameters as given, plus client authentication and a DPoP proof.
    /// Retries once with the server's nonce when told `use_dpop_nonce` (RFC 9449 §8). When the
    /// server answers with a client challenge (`insufficient_client_authorization`), asks the
    /// responder for its requirement type for evidence and repeats the request with
    /// `challenge_session` and `challenge_evidence` — once per requirement type, at most three.
    /// - Throws: ``OAuthError`` as the server sent it (for `insufficient_user_authentication`, with
    ///   its `acr_values` and `max_age` as ``OAuthError/requirement``, RFC 9470 §3),
    ///   ``UnsatisfiedClientChallenge`` when a challenge cannot be answered, or ``OAuthClientError``.
    public func requestToken(_ parameters: [(String, String)]) async throws -> TokenResponse {
        var extra: [(String, String)] = []
        var answered: Set<String> = []
        while true {
            let response = try await post(parameters + extra)
            if response.status == 403,
                let challenge = try? JSONDecoder().decode(InsufficientClientAuthorization.self, from: Data(response.body)),
                challenge.error == InsufficientClientAuthorization.code
            {
                let type = challenge.requirementType ?? ""
                guard let responder = challengeResponders.first(where: { $0.type == type }) else {
                    throw UnsatisfiedClientChallenge(challenge: challenge, reason: "no responder for requirement type '\(type)'")
                }
                guard answered.insert(type).inserted, answered.count <= 3 else {
                    throw UnsatisfiedClientChallenge(
                        challenge: challenge,
                        reason: "the server challenged again for '\(type)' after it was answered"
                    )
                }
                let evidence = try await responder.evidence(for: challenge.authorizationRequirement, clientID: clientID)
                extra = [("challenge_session", challenge.challengeSession), ("challenge_evidence", evidence)]
                continue
            }
            guard response.status == 200 else {
                throw oauthError(response) ?? OAuthClientError("the token endpoint answered HTTP \(response.status)")
            }
            do {
                let token = try JSONDecoder().decode(TokenResponse.self, from: Data(response.body))
                if dpop != nil, token.tokenType.lowercased() != "dpop" {
                    throw OAuthClientError("the server issued a '\(token.tokenType)' token, not a DPoP-bound one")
                }
                return token
            } catch let error as OAuthClientError {
                throw error
            } catch {
                throw OAuthClientError("the token response is not valid JSON (RFC 6749 §5.1)")
            }
        }
    }

    /// One token request with client authentication (a fresh assertion each time) and a DPoP proof,
    /// retried once on `use_dpop_nonce`.
    private func post(_ parameters: [(String, String)]) async throws -> TesseraHTTPResponse {
        func encoded(_ form: [(String, String)]) -> [UInt8] {
            Array(form.map { "\(FormParameters.encode($0.0))=\(FormParameters.encode($0.1))" }.joined(separator: "&").utf8)
        }
        func form() throws -> [(String, String)] {
            switch authentication {
            case .none:
                return parameters + [("client_id", clientID)]
            case .clientSecretBasic:
                return parameters
            case .privateKeyJWT(let signer, let issuer):
                let issuedAt = now().timeIntervalSince1970.rounded(.down)
                let claims: [String: JSONValue] = [
                    "iss": .string(clientID), "sub": .string(clientID), "aud": .string(issuer),
                    "jti": .string(UUID().uuidString), "iat": .number(issuedAt), "exp": .number(issuedAt + 60),
                ]
                return parameters + [
                    ("client_id", clientID), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                    ("client_assertion", try signer.sign(claims, type: nil)),
                ]
            }
        }
        var headers = [
            HTTPSignatureField(name: "Content-Type", value: "application/x-www-form-urlencoded"),
            HTTPSignatureField(name: "Accept", value: "application/json"),
        ]
        if case .clientSecretBasic(let secret) = authentication {
            let pair = "\(FormParameters.encode(clientID)):\(FormParameters.encode(secret))"
            headers.append(HTTPSignatureField(name: "Authorization", value: "Basic " + Data(pair.utf8).base64EncodedString()))
        }
        let response = try await send("POST", tokenEndpoint, headers: headers, body: encoded(try form()), accessToken: nil)
        if response.status == 400, oauthError(response)?.code == .useDPoPNonce, response.headerValue("dpop-nonce") != nil {
            return try await send("POST", tokenEndpoint, headers: headers, body: encoded(try form()), accessToken: nil)
        }
        return response
    }

    // MARK: - Resource calls

    /// Calls a resource with the token: `Authorization: DPoP` plus a proof covering this request and
    /// token for DPoP tokens, `Authorization: Bearer` otherwise. Retries once on an RS `use_dpop_nonce`.
    public func call(
        method: String,
        url: String,
        token: TokenResponse,
        headers: [HTTPSignatureField] = [],
        body: [UInt8]? = nil
    ) async throws
        -> TesseraHTTPResponse
    {
        let isDPoP = token.tokenType.lowercased() == "dpop"
        var fields = headers
        fields.append(HTTPSignatureField(name: "Authorization", value: (isDPoP ? "DPoP " : "Bearer ") + token.accessToken))
        let bound = isDPoP ? token.accessToken : nil
        let response = try await send(method, url, headers: fields, body: body, accessToken: bound)
        if isDPoP, response.status == 401, let challenge = response.headerValue("www-authenticate"),
            AuthenticationChallenge.parse(challenge).contains(where: { $0["error"] == OAuthError.Code.useDPoPNonce.rawValue }),
            response.headerValue("dpop-nonce") != nil
        {
            return try await send(method, url, headers: fields, body: body, accessToken: bound)
        }
        return response
    }

    // MARK: - Wire

    private func send(
        _ method: String,
        _ url: String,
        headers: [HTTPSignatureField],
        body: [UInt8]?,
        accessToken: String?
    ) async throws
        -> TesseraHTTPResponse
    {
        var fields = headers
        let origin = Self.origin(url)
        if let dpop, accessToken != nil || url == tokenEndpoint {
            let proof = dpop.proof(method: method, uri: url, accessToken: accessToken, nonce: nonces.nonce(for: origin), now: now())
            fields.append(HTTPSignatureField(name: "DPoP", value: proof))
        }
        let request: HTTPSignatureRequest
        do { request = try HTTPSignatureRequest(method: method, targetURI: url, headerFields: fields, body: body) } catch {
            throw OAuthClientError("not an absolute http(s) URL: \(url)")
        }
        let response = try await transport.send(request)
        if let nonce = response.headerValue("dpop-nonce") { nonces.remember(nonce, for: origin) }
        return response
    }

    /// The server's error as sent (RFC 6749 §5.2). For `insufficient_user_authentication` it keeps
    /// the step-up members, `acr_values` (space-separated) and `max_age`, as the error's
    /// ``OAuthError/requirement`` (RFC 9470 §3), so the caller can ask for the sign-in they name.
    /// - Parameter response: the token endpoint's error response.
    /// - Returns: the error, or `nil` when the body is not an OAuth error.
    private func oauthError(_ response: TesseraHTTPResponse) -> OAuthError? {
        guard let body = try? JSONDecoder().decode(OAuthErrorBody.self, from: Data(response.body)) else { return nil }
        let code = OAuthError.Code(rawValue: body.error)
        var requirement: AuthenticationRequirement?
        if code == .insufficientUserAuthentication, body.acrValues != nil || body.maxAge != nil {
            requirement = AuthenticationRequirement(
                acrValues: (body.acrValues ?? "").split(separator: " ").map(String.init),
                maxAge: body.maxAge
            )
        }
        return OAuthError(code, body.errorDescription ?? "", uri: body.errorURI, requirement: requirement)
    }

    static func origin(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return url }
        return scheme.lowercased() + "://" + host.lowercased() + (components.port.map { ":\($0)" } ?? "")
    }

    /// The latest nonce each server sent (RFC 9449 §8: one per server, AS and RS nonces kept apart).
    private final class NonceStore: Sendable {
        private let nonces = Mutex([String: String]())
        func nonce(for origin: String) -> String? { nonces.withLock { $0[origin] } }
        func remember(_ nonce: String, for origin: String) { nonces.withLock { $0[origin] = nonce } }
    }
}

/// A failure of ``OAuthClient`` or ``ProtectedResourceDiscovery`` that is not a server's OAuth error.
public struct OAuthClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "OAuthClientError: \(message)" }
}
