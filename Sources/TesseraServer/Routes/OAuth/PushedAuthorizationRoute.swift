import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TesseraEngine
import TesseraProtocol

/// The pushed authorization request endpoint (RFC 9126 §2): 201 with a single-use `request_uri`.
struct PushedAuthorizationRoute: Sendable {
    let engine: GrantEngine

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.post(RouterPath(Endpoints.pushedAuthorization), use: push)
    }

    @Sendable func push(_ request: Request, context: TesseraRequestContext) async -> Response {
        await OAuthEndpoint.run(logger: context.logger) {
            let form = try await FormBody.parse(request, context: context)
            let credentials = try ClientCredentials(basic: try BasicAuthorization.credentials(from: request), form: form)
            let response = try await engine.authorization.push(form: form, credentials: credentials)
            return OAuthResponses.json(response, status: .created)
        }
    }
}

/// The UserInfo endpoint (OpenID Connect Core §5.3): a bearer access token with the `openid` scope.
struct UserInfoRoute: Sendable {
    let engine: GrantEngine

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.get(RouterPath(Endpoints.userInfo), use: userInfo)
        router.post(RouterPath(Endpoints.userInfo), use: userInfo)
    }

    @Sendable func userInfo(_ request: Request, context: TesseraRequestContext) async -> Response {
        let headers = request.headers[values: .authorization]
        guard headers.count == 1, headers[0].lowercased().hasPrefix("bearer "), case let token = String(headers[0].dropFirst(7)),
            !token.isEmpty
        else {
            return Self.challenge(OAuthError(.invalidToken, "send the access token as Authorization: Bearer"), status: .unauthorized)
        }
        do {
            return OAuthResponses.json(try await engine.userInfo(accessToken: token.trimmingCharacters(in: .whitespaces)))
        } catch let error as OAuthError {
            return Self.challenge(error, status: error.code == .insufficientScope ? .forbidden : .unauthorized)
        } catch {
            context.logger.error("userinfo failed", metadata: ["tessera.error": "\(error)"])
            return OAuthResponses.error(.serverError())
        }
    }

    /// RFC 6750 §3: the error in `WWW-Authenticate`.
    static func challenge(_ error: OAuthError, status: HTTPResponse.Status) -> Response {
        var response = OAuthResponses.json(OAuthErrorBody(error), status: status)
        let description = error.message.replacingOccurrences(of: "\"", with: "'")
        response.headers[.wwwAuthenticate] = "Bearer error=\"\(error.code.rawValue)\", error_description=\"\(description)\""
        return response
    }
}
