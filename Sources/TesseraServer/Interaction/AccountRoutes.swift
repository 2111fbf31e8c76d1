import Foundation
import Hummingbird
import Logging
import TesseraEngine
import TesseraProtocol
import TesseraStorage

/// `GET /account`: the signed-in person's remembered OAuth consents and approved GNAP grants;
/// `POST /account/consents/{id}/withdraw` and `POST /account/grants/{id}/withdraw` (CSRF-protected)
/// withdraw one and revoke the tokens issued under it (a GNAP grant is finalized, RFC 9635 §1.5).
/// Only the person who gave a consent or approved a grant can withdraw it.
struct AccountRoutes: Sendable {
    let service: AuthorizationCodeService
    let gnap: GNAPService
    let people: PeopleService
    let cookie: SessionCookie

    func addRoutes(to router: Router<TesseraRequestContext>) {
        router.get("/account") { request, context in await page(context) { try await account(request) } }
        router.post("/account/consents/:id/withdraw") { request, context in
            await page(context) { try await withdraw(request, context: context, id: try context.parameters.require("id"), kind: .consent) }
        }
        router.post("/account/grants/:id/withdraw") { request, context in
            await page(context) {
                try await withdraw(request, context: context, id: try context.parameters.require("id"), kind: .gnapGrant)
            }
        }
    }

    private func account(_ request: Request) async throws -> Response {
        guard let session = try await currentSession(request), let username = session.username else {
            return InteractionRoutes.signInFirst("/account")
        }
        return PageLayout.response(try await accountPage(username, csrf: session.csrfToken))
    }

    private func accountPage(_ username: String, csrf: String, notice: String? = nil) async throws -> HTML {
        AccountPages.account(
            try await service.consents(of: username),
            grants: try await gnap.approvedGrants(of: username),
            person: Person(username: username, displayName: try await people.user(username: username)?.displayName),
            csrf: csrf,
            notice: notice
        )
    }

    /// What a withdraw form names.
    enum Withdrawable {
        case consent
        case gnapGrant
    }

    private func withdraw(_ request: Request, context: TesseraRequestContext, id: String, kind: Withdrawable) async throws -> Response {
        let form = try await FormBody.parse(request, context: context)
        guard let session = try await currentSession(request), let username = session.username else {
            return InteractionRoutes.signInFirst("/account")
        }
        guard PeopleService.checkCSRF(form["csrf"], session: session) else { return InteractionRoutes.csrfFailure() }
        let withdrawn =
            switch kind {
            case .consent: try await service.withdrawConsent(id: id, username: username)
            case .gnapGrant: try await gnap.withdrawGrant(id: id, username: username)
            }
        guard withdrawn else {
            return PageLayout.message(
                title: "Nothing to withdraw",
                "There is no access of yours with this identifier, or it was already withdrawn.",
                status: .notFound,
                kind: "error"
            )
        }
        context.logger.info("consent withdrawn", metadata: ["tessera.user": "\(username)", "tessera.kind": "\(kind)"])
        return PageLayout.response(
            try await accountPage(username, csrf: session.csrfToken, notice: "Access withdrawn; its tokens no longer work.")
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
