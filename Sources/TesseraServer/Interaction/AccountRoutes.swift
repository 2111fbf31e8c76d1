import Foundation
import Hummingbird
import Logging
import TesseraEngine
import TesseraProtocol

/// `GET /account`: the signed-in person's remembered OAuth consents and approved GNAP grants;
/// `POST /account/consents/{id}/withdraw` and `POST /account/grants/{id}/withdraw` (CSRF-protected)
/// withdraw one and revoke the tokens issued under it (a GNAP grant is finalized, RFC 9635 §1.5).
/// Only the person who gave a consent or approved a grant can withdraw it.
struct AccountRoutes: Sendable {
    let engine: GrantEngine
    let people: PeopleService
    let cookie: SessionCookie
    /// The languages of the pages (`Accept-Language`, RFC 9110 §12.5.4).
    var catalogs: MessageCatalogs = .shipped

    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.get("/account") { request, context in try await account(request, catalogs.negotiate(request)) }
        for kind in Withdrawable.allCases {
            router.post(RouterPath("/account/\(kind.rawValue)/:id/withdraw")) { request, context in
                try await withdraw(
                    request,
                    context: context,
                    id: try context.parameters.require("id"),
                    kind: kind,
                    catalogs.negotiate(request)
                )
            }
        }
    }

    private func account(_ request: Request, _ m: MessageCatalog) async throws -> Response {
        guard let session = try await people.session(cookie: cookie.value(in: request)), let username = session.username else {
            return InteractionRoutes.signInFirst("/account")
        }
        return PageLayout.response(try await accountPage(username, csrf: session.csrfToken, m), m)
    }

    private func accountPage(_ username: String, csrf: String, notice: MessageID? = nil, _ m: MessageCatalog) async throws -> HTML {
        AccountPages.account(
            try await engine.authorization.consents(of: username),
            grants: try await engine.gnap.approvedGrants(of: username),
            person: try await people.person(username: username),
            csrf: csrf,
            notice: notice,
            m
        )
    }

    /// What a withdraw form names; the raw value is its path segment.
    enum Withdrawable: String, CaseIterable {
        case consent = "consents"
        case gnapGrant = "grants"
    }

    private func withdraw(
        _ request: Request,
        context: TesseraRequestContext,
        id: String,
        kind: Withdrawable,
        _ m: MessageCatalog
    ) async throws -> Response {
        let form = try await FormBody.parse(request, context: context)
        guard let session = try await people.session(cookie: cookie.value(in: request)), let username = session.username else {
            return InteractionRoutes.signInFirst("/account")
        }
        guard PeopleService.checkCSRF(form["csrf"], session: session) else { return InteractionRoutes.csrfFailure(m) }
        let revocation: Revocation = kind == .consent ? .consent(id: id) : .approvedGrant(id: id)
        guard try await engine.revoke(revocation, by: .person(username)) == nil else {
            return PageLayout.message(.nothingToWithdrawTitle, .nothingToWithdraw, m, status: .notFound, kind: "error")
        }
        context.logger.info("consent withdrawn", metadata: ["tessera.user": "\(username)", "tessera.kind": "\(kind)"])
        return PageLayout.response(try await accountPage(username, csrf: session.csrfToken, notice: .accountWithdrawn, m), m)
    }

}
