import Foundation
import Hummingbird
import Logging
import NIOCore
import TesseraEngine
import TesseraProtocol

/// The OAuth authorization endpoint (RFC 6749 §4.1) on the interaction pages: `GET /authorize`
/// checks the request and holds it, the person signs in on the shared sign-in page and decides on
/// `/authorize/{id}` (CSRF-protected), and the browser goes back with `code`, `state` and `iss`
/// (RFC 9207). Errors before the redirect URI is verified are pages, never redirects; so are errors for a client
/// nobody vouched for before the person saw it on the consent page, with a link back (RFC 9700 §4.11.2).
struct AuthorizationRoutes: Sendable {
    let engine: GrantEngine
    let people: PeopleService
    var service: AuthorizationCodeService { engine.authorization }

    let cookie: SessionCookie
    /// The languages of the pages (`Accept-Language`, RFC 9110 §12.5.4).
    var catalogs: MessageCatalogs = .shipped

    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.get(RouterPath(Endpoints.authorization)) { request, context in
            try await authorize(request, catalogs.negotiate(request))
        }
        router.get("/authorize/:id") { request, context in
            try await consentPage(request, id: try context.parameters.require("id"), catalogs.negotiate(request))
        }
        router.post("/authorize/:id") { request, context in
            try await decide(request, context: context, id: try context.parameters.require("id"), catalogs.negotiate(request))
        }
    }

    private func authorize(_ request: Request, _ m: MessageCatalog) async throws -> Response {
        let parsed = Result { () throws(OAuthError) -> FormParameters in
            try FormParameters(parsing: Array((request.uri.query ?? "").utf8), repeatable: ["resource"])
        }
        guard case .success(let query) = parsed else {
            let problem = if case .failure(let error) = parsed { error.message } else { "" }
            return Self.errorPage(m(.malformed, ["problem": "\(problem)"]), m)
        }
        switch try await service.authorize(query: query) {
        case .consent(let id):
            return InteractionRoutes.seeOtherPage("/authorize/" + id)
        case .redirect(let location):
            return Self.found(location)
        case .errorPageWithLink(let link):
            return AuthorizationPages.errorPage(link, m)
        case .errorPage(let message):
            return Self.errorPage("\(message)", m)
        }
    }

    /// The consent page, after the sign-in the request asks for (OpenID Connect Core §3.1.2.1): none yet, or one
    /// older than `prompt=login` / `max_age` allow, goes to the sign-in page, which asks a signed-in person for the
    /// password again (the session is replaced only by that sign-in: a GET, which any site can cause, never ends
    /// it); with `prompt=none` no page is shown and the client gets the reason.
    private func consentPage(_ request: Request, id: String, _ m: MessageCatalog) async throws -> Response {
        guard let held = try await service.pending(id: id) else { return Self.expired(m) }
        let requirement = held.signIn
        let session = try await people.session(cookie: cookie.value(in: request))
        guard let session, let username = session.username,
            service.signInSatisfies(held, authTime: session.createdAt)
        else {
            if requirement.showsNoPage {
                return try await answerWithoutPage(id, OAuthError("login_required", "nobody is signed in as the request needs"), m)
            }
            return InteractionRoutes.signInFirst("/authorize/" + id, again: session?.username != nil)
        }
        // A remembered consent that covers the request answers it without asking again.
        if let location = try await service.decideIfRemembered(id: id, username: username, authTime: session.createdAt) {
            return InteractionRoutes.seeOther(location)
        }
        if requirement.showsNoPage {
            return try await answerWithoutPage(id, OAuthError("consent_required", "the person has not consented to this request"), m)
        }
        guard let pending = try await service.pending(id: id) else { return Self.expired(m) }
        let person = try await people.person(username: username)
        return PageLayout.response(
            AuthorizationPages.consent(
                pending,
                previews: service.cedarPreviews(of: pending, for: username),
                id: id,
                csrf: session.csrfToken,
                person: person,
                m
            ),
            m
        )
    }

    private func decide(_ request: Request, context: TesseraRequestContext, id: String, _ m: MessageCatalog) async throws -> Response {
        let form = try await FormBody.parse(request, context: context, repeatable: ["scope", "detail"])
        guard let session = try await people.session(cookie: cookie.value(in: request)), let username = session.username else {
            return InteractionRoutes.signInFirst("/authorize/" + id)
        }
        guard PeopleService.checkCSRF(form["csrf"], session: session) else { return InteractionRoutes.csrfFailure(m) }
        let approve: Bool
        let scope: Set<String>?
        let details: Set<Int>?
        switch form["decision"] {
        case "approve_all": (approve, scope, details) = (true, nil, nil)
        case "approve": (approve, scope, details) = (true, Set(form.all("scope")), Set(form.all("detail").compactMap { Int($0) }))
        case "deny": (approve, scope, details) = (false, nil, nil)
        default:
            return PageLayout.message(.wrongTitle, .formIncomplete, m, status: .badRequest, kind: "error")
        }
        do {
            // A denial withdraws the remembered consent it refuses (`prompt=consent`), through the one revocation.
            let location = try await engine.decideAuthorization(
                id: id,
                username: username,
                approve: approve,
                approvedScope: scope,
                approvedDetails: details,
                authTime: session.createdAt
            )
            context.logger.info("authorization decided", metadata: ["tessera.approved": "\(approve)", "tessera.user": "\(username)"])
            // 303: the browser must not re-post the form to the client.
            return InteractionRoutes.seeOther(location)
        } catch AuthorizationCodeService.Problem.unknownOrExpired {
            return Self.expired(m)
        } catch AuthorizationCodeService.Problem.signInAgain {
            // Too old a sign-in for the request by now: sign in again, then decide on the same request.
            return InteractionRoutes.signInFirst("/authorize/" + id, again: true)
        }
    }

    /// `prompt=none` (OpenID Connect Core §3.1.2.6): the client learns at its redirect URI why no page was shown — by a
    /// link on a page when the redirect URI is only its own word (RFC 9700 §4.11.2).
    private func answerWithoutPage(_ id: String, _ error: OAuthError, _ m: MessageCatalog) async throws -> Response {
        switch try await service.answerWithoutPage(id: id, error) {
        case .redirect(let location): InteractionRoutes.seeOther(location)
        case .errorPageWithLink(let link): AuthorizationPages.errorPage(link, m)
        case .errorPage, .consent, nil: Self.expired(m)
        }
    }

    static func found(_ location: String) -> Response {
        Response(status: .found, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// A refused request before its redirect URI is verified: a page, never a redirect. The protocol's
    /// own `error_description` is shown as it is (English, RFC 6749 §4.1.2.1), under a translated title.
    static func errorPage(_ message: HTML, _ m: MessageCatalog) -> Response {
        PageLayout.message(.cannotContinueTitle, message, m, status: .badRequest, kind: "error")
    }

    static func expired(_ m: MessageCatalog) -> Response {
        PageLayout.message(.expiredTitle, .expiredOrAnswered, m, status: .gone, kind: "error")
    }
}
