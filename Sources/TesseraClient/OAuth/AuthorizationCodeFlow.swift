import Crypto
import Foundation
public import TesseraProtocol

/// The client side of the authorization code flow (RFC 6749 §4.1) with PKCE S256 (RFC 7636),
/// and the checks that are the client's to make on the way back: `state` (RFC 6749 §10.12, CSRF
/// against the client) and `iss` (RFC 9207 §2.4, mix-up between authorization servers).
///
/// ```swift
/// let flow = AuthorizationCodeFlow(issuer: metadata.issuer, authorizationEndpoint: metadata.authorizationEndpoint!,
///                                  clientID: "web-app", redirectURI: "https://app.example/cb")
/// let request = flow.start(scope: "openid read")               // keep it in the user's session
/// // … send the browser to request.url; it comes back to the redirect URI …
/// let code = try flow.code(fromCallback: callbackURL, for: request)
/// let tokens = try await client.authorizationCode(code, request: request, redirectURI: flow.redirectURI)
/// ```
public struct AuthorizationCodeFlow: Sendable, Hashable {
    public let issuer: String
    public let authorizationEndpoint: String
    public let clientID: String
    public let redirectURI: String

    public init(issuer: String, authorizationEndpoint: String, clientID: String, redirectURI: String) {
        self.issuer = issuer
        self.authorizationEndpoint = authorizationEndpoint
        self.clientID = clientID
        self.redirectURI = redirectURI
    }

    /// One authorization request: where to send the browser, and the secrets to keep until it returns.
    public struct Request: Sendable, Hashable, Codable {
        public var url: String
        public var state: String
        public var codeVerifier: String
        public var nonce: String
    }

    /// Why an authorization response is not believed, or what the server refused.
    public enum ResponseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// `state` missing or not the one this request sent: a forged or injected response.
        case stateMismatch
        /// `iss` missing or naming another server (RFC 9207 §2.4): a mix-up.
        case issuerMismatch(received: String?)
        /// The server answered with an error (RFC 6749 §4.1.2.1), after `state` and `iss` checked out.
        case refused(OAuthError)
        /// Neither `code` nor `error`.
        case missingCode

        public var description: String {
            switch self {
            case .stateMismatch: "the authorization response's state does not match the request"
            case .issuerMismatch(let received): "the authorization response comes from '\(received ?? "(no iss)")', not the expected issuer"
            case .refused(let error): "the authorization server refused: \(error)"
            case .missingCode: "the authorization response has no code"
            }
        }
    }

    /// A new request with a fresh `state`, `nonce` and PKCE verifier (256 random bits each).
    public func start(scope: String? = nil, resources: [String] = [], authorizationDetails: String? = nil) -> Request {
        let state = Self.random()
        let verifier = Self.random()
        let nonce = Self.random()
        var parameters: [(String, String)] = [
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirectURI), ("state", state), ("nonce", nonce),
            ("code_challenge", Self.challenge(for: verifier)), ("code_challenge_method", "S256"),
        ]
        if let scope { parameters.append(("scope", scope)) }
        for resource in resources { parameters.append(("resource", resource)) }
        if let authorizationDetails { parameters.append(("authorization_details", authorizationDetails)) }
        let url = authorizationEndpoint + (authorizationEndpoint.contains("?") ? "&" : "?") + FormParameters(parameters).encoded
        return Request(url: url, state: state, codeVerifier: verifier, nonce: nonce)
    }

    /// The code from the URL the browser came back to, after checking `state` (constant time) and
    /// `iss`. An error response is only reported once both check out.
    public func code(fromCallback callback: String, for request: Request) throws(ResponseError) -> String {
        var values: [String: String] = [:]
        for item in URLComponents(string: callback)?.queryItems ?? [] where values[item.name] == nil {
            if let value = item.value { values[item.name] = value }
        }
        guard let state = values["state"], ConstantTime.equals(Array(state.utf8), Array(request.state.utf8)) else { throw .stateMismatch }
        guard values["iss"] == issuer else { throw .issuerMismatch(received: values["iss"]) }
        if let error = values["error"] {
            throw .refused(OAuthError(OAuthError.Code(rawValue: error), values["error_description"] ?? ""))
        }
        guard let code = values["code"] else { throw .missingCode }
        return code
    }

    /// RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))).
    static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: Data(verifier.utf8)))
    }

    static func random() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }
}

extension OAuthClient {
    /// Redeems an authorization code (RFC 6749 §4.1.3) with the request's PKCE verifier (RFC 7636 §4.5).
    public func authorizationCode(_ code: String, request: AuthorizationCodeFlow.Request, redirectURI: String) async throws -> TokenResponse
    {
        try await requestToken([
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", request.codeVerifier),
        ])
    }
}
