import Foundation
import Hummingbird
import Logging
import NIOCore
import TesseraEngine
import TesseraProtocol

/// The pages a person uses to take part in a GNAP interaction (RFC 9635 §4): sign-in, the consent
/// page behind an interaction URL (`redirect`/`app` start), the user-code page (`user_code`,
/// `user_code_uri`), and the finish (`redirect` with 303, or `push`). Every form carries the
/// session's CSRF token; every decision is stored before the client is told.
struct InteractionRoutes: Sendable {
    let service: GNAPService
    /// The OAuth door, so the sign-in page can say which application's request it is in front of.
    let authorization: AuthorizationCodeService?
    let people: PeopleService
    let cookie: SessionCookie
    let pusher: FinishPusher
    /// Wrong passwords per canonical username, and failed sign-ins per client address (`sign_in:`).
    let nameThrottle: AttemptThrottle
    let addressThrottle: AttemptThrottle
    /// Five wrong codes per session per five minutes.
    let codeThrottle = AttemptThrottle(limit: 5, window: 300)
    /// How long a throttled sign-in waits for its 429 (`sign_in.refusal_delay`).
    let refusalDelay: Duration
    let now: @Sendable () -> Date
    /// The languages of the pages (`Accept-Language`, RFC 9110 §12.5.4).
    let catalogs: MessageCatalogs

    init(
        service: GNAPService,
        authorization: AuthorizationCodeService? = nil,
        people: PeopleService,
        cookie: SessionCookie,
        pusher: FinishPusher,
        signIn: SignInConfiguration,
        catalogs: MessageCatalogs = .shipped,
        now: @escaping @Sendable () -> Date
    ) {
        self.catalogs = catalogs
        self.service = service
        self.authorization = authorization
        self.people = people
        self.cookie = cookie
        self.pusher = pusher
        self.nameThrottle = AttemptThrottle(limit: signIn.attemptsPerName, window: signIn.window)
        self.addressThrottle = AttemptThrottle(limit: signIn.attemptsPerAddress, window: signIn.window)
        self.refusalDelay = .milliseconds(Int64(signIn.refusalDelay * 1000))
        self.now = now
    }

    func addRoutes(to router: some RouterMethods<TesseraRequestContext>) {
        router.get("/assets/tessera.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: PageLayout.stylesheet))
            )
        }
        router.get("/signin") { request, context in try await signInPage(request, catalogs.negotiate(request)) }
        router.post("/signin") { request, context in try await signIn(request, context: context, catalogs.negotiate(request)) }
        router.post("/signout") { request, context in try await signOut(request, context: context, catalogs.negotiate(request))
        }
        router.get("/device") { request, context in try await userCodePage(request, catalogs.negotiate(request)) }
        router.post("/device") { request, context in
            try await enterUserCode(request, context: context, catalogs.negotiate(request))
        }
        router.get("/interact/:id") { request, context in
            try await consentPage(request, id: try context.parameters.require("id"), catalogs.negotiate(request))
        }
        router.post("/interact/:id") { request, context in
            try await decide(request, context: context, id: try context.parameters.require("id"), catalogs.negotiate(request))
        }
    }

    // MARK: - Sign-in

    private func signInPage(_ request: Request, _ m: MessageCatalog) async throws -> Response {
        let next = Self.safeNext(request.uri.queryParameters.get("next"))
        let session = try await people.session(cookie: cookie.value(in: request))
        // `again=1`: a request needs a fresher sign-in; the form is shown to a signed-in person too, whose
        // session stays as it is until the password sign-in replaces it.
        let again = request.uri.queryParameters.get("again") == "1"
        if session?.username != nil, !again { return Self.seeOtherPage(next) }
        let who = try await requester(next)
        if let session {
            return PageLayout.response(InteractionPages.signIn(csrf: session.csrfToken, next: next, failed: false, asking: who, m), m)
        }
        let (value, fresh) = try await people.startSession(username: nil)
        return PageLayout.response(
            InteractionPages.signIn(csrf: fresh.csrfToken, next: next, failed: false, asking: who, m),
            m,
            headers: [.setCookie: cookie.set(value, maxAge: PeopleService.anonymousSessionLifetime)]
        )
    }

    /// `POST /signin`. Every check that costs nothing runs before the one that costs a KDF: the client
    /// address's budget, the CSRF token, the name's canonical form (a name no user can have is refused without
    /// touching the store: the store and the throttles must agree on who is named), the name's budget;
    /// only then is the password hashed, on the bounded pool (503 at once when it is full).
    private func signIn(_ request: Request, context: TesseraRequestContext, _ m: MessageCatalog) async throws -> Response {
        // First what costs nothing at all: a flood from one address is turned away before any I/O.
        let address = ClientAddressKey.of(context.channel.remoteAddress)
        guard addressThrottle.allows(address, at: now()) else {
            return await refuse(.tooManyFromNetwork, m)
        }
        let form = try await FormBody.parse(request, context: context)
        guard let session = try await people.session(cookie: cookie.value(in: request)),
            PeopleService.checkCSRF(form["csrf"], session: session)
        else {
            return Self.csrfFailure(m)
        }
        let next = Self.safeNext(form["next"])
        let typed = form["username"] ?? ""
        // The form again, with the typed name kept and the error shown.
        func signInAgain(status: HTTPResponse.Status) async throws -> Response {
            let page = InteractionPages.signIn(
                csrf: session.csrfToken,
                next: next,
                failed: true,
                username: typed,
                asking: try await requester(next),
                m
            )
            return PageLayout.response(page, m, status: status)
        }
        let name: String
        do {
            name = try PresentedIdentifier.canonical(typed, as: .username)
        } catch {
            addressThrottle.recordFailure(address, at: now())
            return try await signInAgain(status: .badRequest)
        }
        let nameKey = PresentedIdentifier.throttleKey(username: name)
        guard nameThrottle.allows(nameKey, at: now()) else {
            return await refuse(.tooManyForAccount, m)
        }
        // Both budgets are charged before the hash, so attempts waiting on the pool cannot all slip under them.
        guard addressThrottle.begin(address, at: now()) else {
            return await refuse(.tooManyFromNetwork, m)
        }
        guard nameThrottle.begin(nameKey, at: now()) else {
            addressThrottle.forgive(address)
            return await refuse(.tooManyForAccount, m)
        }
        let user: Person?
        do {
            user = try await people.authenticate(username: name, password: form["password"] ?? "")
        } catch is PasswordHashingPool.Busy {
            // Nothing was tried for this name; the address keeps the charge (a flood from it runs out).
            nameThrottle.forgive(nameKey)
            var response = PageLayout.message(.busyTitle, .busy, m, status: .serviceUnavailable, kind: "error")
            response.headers[.retryAfter] = "2"
            return response
        }
        guard let user else {
            context.logger.notice("sign-in refused", metadata: ["tessera.username": "\(name)"])
            return try await signInAgain(status: .unauthorized)
        }
        nameThrottle.reset(nameKey)
        addressThrottle.forgive(address)
        // A new session identifier on sign-in: a session fixed before sign-in is worth nothing after.
        try await people.endSession(session)
        let (value, _) = try await people.startSession(username: user.username)
        var response = Self.seeOtherPage(next)
        response.headers[.setCookie] = cookie.set(value, maxAge: PeopleService.sessionLifetime)
        return response
    }

    /// A 429 for a spent budget, sent after ``refusalDelay``: a client that keeps posting after being told to
    /// stop gets one answer per delay per connection, so a flood from one address costs a sleeping task per
    /// connection instead of a stream of requests competing with the protocol endpoints (docs/ROBUSTNESS.md).
    private func refuse(_ text: MessageID, _ m: MessageCatalog) async -> Response {
        if refusalDelay > .zero { try? await Task.sleep(for: refusalDelay) }
        return PageLayout.message(.tooManyTitle, text, m, status: .tooManyRequests, kind: "error")
    }

    private func signOut(_ request: Request, context: TesseraRequestContext, _ m: MessageCatalog) async throws -> Response {
        let form = try await FormBody.parse(request, context: context)
        guard let session = try await people.session(cookie: cookie.value(in: request)),
            PeopleService.checkCSRF(form["csrf"], session: session)
        else {
            return Self.csrfFailure(m)
        }
        try await people.endSession(session)
        var response = Self.seeOtherPage("/signin")
        response.headers[.setCookie] = cookie.clear()
        return response
    }

    // MARK: - User code (RFC 9635 §4.1.2, §4.1.3)

    private func userCodePage(_ request: Request, _ m: MessageCatalog) async throws -> Response {
        guard let session = try await people.session(cookie: cookie.value(in: request)), let username = session.username else {
            return Self.signInFirst("/device")
        }
        return PageLayout.response(
            InteractionPages.userCode(csrf: session.csrfToken, person: try await people.person(username: username), failed: false, m),
            m
        )
    }

    private func enterUserCode(_ request: Request, context: TesseraRequestContext, _ m: MessageCatalog) async throws -> Response {
        let form = try await FormBody.parse(request, context: context)
        guard let session = try await people.session(cookie: cookie.value(in: request)), let username = session.username else {
            return Self.signInFirst("/device")
        }
        guard PeopleService.checkCSRF(form["csrf"], session: session) else { return Self.csrfFailure(m) }
        guard codeThrottle.allows(session.idHash, at: now()) else {
            return PageLayout.message(.tooManyTitle, .tooManyCodes, m, status: .tooManyRequests, kind: "error")
        }
        do {
            let view = try await service.interaction(userCode: form["user_code"] ?? "", for: username)
            return Self.seeOtherPage("/interact/" + view.id)
        } catch GNAPService.InteractionProblem.unknown {
            // An unknown code never leads anywhere but this page (RFC 9635 §4.1.2).
            codeThrottle.recordFailure(session.idHash, at: now())
            return PageLayout.response(
                InteractionPages.userCode(csrf: session.csrfToken, person: try await people.person(username: username), failed: true, m),
                m,
                status: .badRequest
            )
        } catch let problem as GNAPService.InteractionProblem {
            return Self.problemPage(problem, m)
        }
    }

    // MARK: - Consent (RFC 9635 §4.1.1) and finish (§4.2)

    private func consentPage(_ request: Request, id: String, _ m: MessageCatalog) async throws -> Response {
        guard let session = try await people.session(cookie: cookie.value(in: request)), let username = session.username else {
            return Self.signInFirst("/interact/" + id)
        }
        do {
            let view = try await service.interaction(id: id, for: username)
            return PageLayout.response(
                InteractionPages.consent(view, csrf: session.csrfToken, person: try await people.person(username: username), m),
                m
            )
        } catch let problem as GNAPService.InteractionProblem {
            return Self.problemPage(problem, m)
        }
    }

    private func decide(_ request: Request, context: TesseraRequestContext, id: String, _ m: MessageCatalog) async throws -> Response {
        // Every ticked right and every ticked Cedar policy arrives as its own `right` / `policy` field.
        let form = try await FormBody.parse(request, context: context, repeatable: ["right", "policy"])
        guard let session = try await people.session(cookie: cookie.value(in: request)), let username = session.username else {
            return Self.signInFirst("/interact/" + id)
        }
        guard PeopleService.checkCSRF(form["csrf"], session: session) else { return Self.csrfFailure(m) }
        // `approve` with the ticked rights and policies, `approve_all` (older forms), or `deny`.
        let (approve, rights, policies): (Bool, Set<String>?, Set<String>?)
        switch form["decision"] {
        case "approve_all": (approve, rights, policies) = (true, nil, nil)
        case "approve": (approve, rights, policies) = (true, Set(form.all("right")), Set(form.all("policy")))
        case "deny": (approve, rights, policies) = (false, nil, nil)
        default: return PageLayout.message(.wrongTitle, .formIncomplete, m, status: .badRequest, kind: "error")
        }
        let finish: GNAPService.InteractionFinish
        do {
            // The digest of the rights the page showed: the decision applies to those or to nothing.
            finish = try await service.decideInteraction(
                id: id,
                username: username,
                authenticatedAt: session.createdAt,
                shownDigest: form["rights_digest"] ?? "",
                approve: approve,
                approvedRights: rights,
                approvedPolicies: policies
            )
        } catch let problem as GNAPService.InteractionProblem {
            return Self.problemPage(problem, m)
        }
        context.logger.info("interaction decided", metadata: ["tessera.approved": "\(approve)", "tessera.user": "\(username)"])
        let outcome = m(approve ? .doneApproved : .doneDenied)
        switch finish {
        case .redirect(let location):
            // 303, never 307: the browser must not re-post this form to the client (RFC 9635 §11.19).
            return Self.seeOther(location)
        case .push(let uri, let body):
            do {
                try await pusher.push(uri: uri, body: body)
            } catch {
                context.logger.warning("push finish failed", metadata: ["tessera.error": "\(error)"])
                return PageLayout.message(.pushFailedTitle, m(.pushFailed, ["outcome": outcome]), m, status: .badGateway, kind: "error")
            }
            return PageLayout.message(.doneTitle, m(.donePushed, ["outcome": outcome]), m)
        case .none:
            return PageLayout.message(.doneTitle, m(.doneClose, ["outcome": outcome]), m)
        }
    }

    // MARK: - Helpers

    /// Which application's request the sign-in page is in front of (`next` is a local path, checked
    /// by ``safeNext(_:)``); `nil` for the device page, the account page, or a request that is over.
    private func requester(_ next: String) async throws -> ClientPresentation? {
        if next.hasPrefix("/interact/") { return try await service.requester(ofInteraction: String(next.dropFirst("/interact/".count))) }
        if next.hasPrefix("/authorize/"), let authorization {
            return try await authorization.requester(ofRequest: String(next.dropFirst("/authorize/".count)))
        }
        return nil
    }

    static func problemPage(_ problem: GNAPService.InteractionProblem, _ m: MessageCatalog) -> Response {
        let (title, text, status): (MessageID, MessageID, HTTPResponse.Status) =
            switch problem {
            case .unknown: (.unknownTitle, .unknown, .notFound)
            case .expired: (.expiredTitle, .expired, .gone)
            case .alreadyUsed: (.alreadyUsedTitle, .alreadyUsed, .gone)
            case .notPending: (.notPendingTitle, .notPending, .conflict)
            case .wrongOwner: (.wrongOwnerTitle, .wrongOwner, .forbidden)
            case .routed: (.routedTitle, .routed, .forbidden)
            case .changed: (.changedTitle, .changed, .conflict)
            }
        return PageLayout.message(title, text, m, status: status, kind: "error")
    }

    static func csrfFailure(_ m: MessageCatalog) -> Response {
        PageLayout.message(.csrfTitle, .csrf, m, status: .forbidden, kind: "error")
    }

    /// A 303 to the sign-in page, then to `next`.
    /// - Parameters:
    ///   - next: where the person goes once signed in.
    ///   - again: asks for the password even when someone is signed in (`prompt=login`, `max_age`).
    /// - Returns: the redirect.
    static func signInFirst(_ next: String, again: Bool = false) -> Response {
        seeOtherPage("/signin?next=" + FormParameters.encode(next) + (again ? "&again=1" : ""))
    }

    /// A 303 to one of the pages, named by its route path (`/interact/ID`): below the issuer's path.
    static func seeOtherPage(_ route: String) -> Response {
        seeOther(PagePaths.link(route))
    }

    static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// Only a local path of the interaction or authorization pages: never another site (no open redirect).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), next.count <= 200,
            next.unicodeScalars.allSatisfy({
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "/-_.~".unicodeScalars.contains($0))
            }),
            next == "/device" || next == "/account" || next.hasPrefix("/interact/") || next.hasPrefix("/authorize/")
        else { return "/device" }
        return next
    }
}
