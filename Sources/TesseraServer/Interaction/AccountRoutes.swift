import Foundation
import Hummingbird
import Logging
import TesseraEngine
import TesseraProtocol
import TesseraStorage

/// `GET /account`: the signed-in person's remembered consents; `POST
/// /account/consents/{id}/withdraw` (CSRF-protected) withdraws one and revokes the tokens issued
/// under it. Only the person who gave a consent can withdraw it.
struct AccountRoutes: Sendable {
    let service: AuthorizationCodeService
    let people: PeopleService
    let cookie: SessionCookie

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.get("/account") { request, context in await page(context) { try await account(request) } }
        router.post("/account/consents/:id/withdraw") { request, context in
            await page(context) { try await withdraw(request, context: context, id: try context.parameters.require("id")) }
        }
    }

    private func account(_ request: Request) async throws -> Response {
        guard let session = try await currentSession(request), let username = session.username else {
            return InteractionRoutes.signInFirst("/account")
        }
        let consents = try await service.consents(of: username)
        return PageLayout.response(AccountPages.account(consents, username: username, csrf: session.csrfToken))
    }

    private func withdraw(_ request: Request, context: TesseraRequestContext, id: String) async throws -> Response {
        let form = try await FormBody.parse(request, context: context)
        guard let session = try await currentSession(request), let username = session.username else {
            return InteractionRoutes.signInFirst("/account")
        }
        guard PeopleService.checkCSRF(form["csrf"], session: session) else { return InteractionRoutes.csrfFailure() }
        guard try await service.withdrawConsent(id: id, username: username) else {
            return PageLayout.message(
                title: "Nothing to withdraw",
                "There is no access of yours with this identifier, or it was already withdrawn.",
                status: .notFound,
                kind: "error"
            )
        }
        context.logger.info("consent withdrawn", metadata: ["tessera.user": "\(username)"])
        let consents = try await service.consents(of: username)
        return PageLayout.response(
            AccountPages.account(
                consents,
                username: username,
                csrf: session.csrfToken,
                notice: "Access withdrawn; its tokens no longer work."
            )
        )
    }

    private func currentSession(_ request: Request) async throws -> SessionRecord? {
        guard let value = cookie.value(in: request) else { return nil }
        return try await people.session(cookie: value)
    }

    /// Every failure becomes a page — never a stack trace.
    private func page(_ context: TesseraRequestContext, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as OAuthError {
            return PageLayout.message(title: "Something went wrong", error.message, status: .badRequest, kind: "error")
        } catch {
            context.logger.error("account page failed", metadata: ["tessera.error": "\(error)"])
            return PageLayout.message(
                title: "Something went wrong",
                "The server could not complete this request.",
                status: .internalServerError,
                kind: "error"
            )
        }
    }
}
