import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TesseraEngine
import TesseraProtocol

/// The pushed authorization request endpoint (RFC 9126 §2): 201 with a single-use `request_uri`.
struct PushedAuthorizationRoute: Sendable {
    let engine: GrantEngine

    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.post(RouterPath(Endpoints.pushedAuthorization), use: push)
    }

    @Sendable func push(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let form = try await FormBody.parse(request, context: context)
        let credentials = try ClientCredentials(basic: try BasicAuthorization.credentials(from: request), form: form)
        let response = try await engine.authorization.push(form: form, credentials: credentials)
        return OAuthResponses.json(response, status: .created)
    }
}

/// The UserInfo endpoint (OpenID Connect Core §5.3): an access token with the `openid` scope, bearer (RFC 6750 §2.1)
/// or DPoP-bound with its proof (RFC 9449 §7.1).
struct UserInfoRoute: Sendable {
    let engine: GrantEngine
    /// This endpoint's URL as clients know it: the `htu` a DPoP proof must name.
    let endpoint: String

    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.get(RouterPath(Endpoints.userInfo), use: userInfo)
        router.post(RouterPath(Endpoints.userInfo), use: userInfo)
    }

    @Sendable func userInfo(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let headers = request.headers[values: .authorization]
        let (scheme, token) = headers.count == 1 ? Self.credentials(headers[0]) : ("", "")
        switch scheme {
        case "bearer":
            // A refusal is answered with the RFC 6750 §3 challenge by the OAuth door's ``DoorErrors``; a DPoP-bound
            // token's with the `DPoP` challenge it needs (RFC 9449 §7.1, §7.2).
            do {
                return OAuthResponses.json(try await engine.userInfo(accessToken: token))
            } catch let refusal as DPoPBoundTokenRefusal {
                return Self.dpopRefusal(refusal.error, algorithms: engine.dpop.supportedAlgorithms)
            }
        case "dpop":
            let proof = DPoPPresentation(headerValues: request.headers[values: .dpop], method: request.method.rawValue, uri: endpoint)
            do {
                return OAuthResponses.json(try await engine.userInfo(accessToken: token, dpop: proof))
            } catch let error as OAuthError {
                return Self.dpopRefusal(error, algorithms: engine.dpop.supportedAlgorithms)
            }
        default:
            throw OAuthError(.invalidToken, "send the access token as Authorization: Bearer, or as Authorization: DPoP with a DPoP proof")
        }
    }

    /// The scheme (lowercased) and the token of an `Authorization` header; empty strings when it has no token.
    static func credentials(_ header: String) -> (String, String) {
        guard let space = header.firstIndex(of: " ") else { return ("", "") }
        let token = header[header.index(after: space)...].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? ("", "") : (header[..<space].lowercased(), token)
    }

    /// A refusal of a DPoP-scheme request (RFC 9449 §7.1): 401 with the `DPoP` challenge naming the error and the
    /// algorithms accepted; `insufficient_scope` stays 403.
    static func dpopRefusal(_ error: OAuthError, algorithms: [String]) -> Response {
        var response = OAuthResponses.error(error)
        if error.code == .invalidDPoPProof || error.code == .useDPoPNonce { response.status = .unauthorized }
        response.headers[.wwwAuthenticate] = OAuthResponses.challenge(
            "DPoP",
            error,
            parameters: ", algs=\"\(algorithms.joined(separator: " "))\""
        )
        return response
    }
}
