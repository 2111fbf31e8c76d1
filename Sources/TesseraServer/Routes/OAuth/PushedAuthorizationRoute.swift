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

/// The UserInfo endpoint (OpenID Connect Core §5.3): a bearer access token with the `openid` scope.
struct UserInfoRoute: Sendable {
    let engine: GrantEngine

    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.get(RouterPath(Endpoints.userInfo), use: userInfo)
        router.post(RouterPath(Endpoints.userInfo), use: userInfo)
    }

    @Sendable func userInfo(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let headers = request.headers[values: .authorization]
        guard headers.count == 1, headers[0].lowercased().hasPrefix("bearer "), case let token = String(headers[0].dropFirst(7)),
            !token.isEmpty
        else { throw OAuthError(.invalidToken, "send the access token as Authorization: Bearer") }
        // A refusal is answered with the RFC 6750 §3 challenge by the OAuth door's ``DoorErrors``.
        return OAuthResponses.json(try await engine.userInfo(accessToken: token.trimmingCharacters(in: .whitespaces)))
    }
}
