import Hummingbird
import TesseraEngine
import TesseraProtocol

/// The revocation endpoint (RFC 7009 §2).
struct RevocationRoute: Sendable {
    let engine: GrantEngine

    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.post(RouterPath(Endpoints.revocation), use: revoke)
    }

    @Sendable func revoke(_ request: Request, context: TesseraRequestContext) async throws -> Response {
        let form = try await FormBody.parse(request, context: context)
        let credentials = try ClientCredentials(basic: try BasicAuthorization.credentials(from: request), form: form)
        let token = try form.require("token")
        try await engine.revoke(
            token: token,
            hint: form["token_type_hint"].map(TokenTypeHint.init(rawValue:)),
            credentials: credentials
        )
        return Response(status: .ok, headers: [.cacheControl: "no-store"])
    }
}
