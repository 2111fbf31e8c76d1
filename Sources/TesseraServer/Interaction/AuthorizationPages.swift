import Foundation
import TesseraEngine
import TesseraProtocol

/// The consent page of the OAuth authorization endpoint (RFC 6749 §4.1.1): the same layout,
/// buttons and CSRF token as the GNAP consent page, listing scopes and resources instead of
/// GNAP access rights. Every value is escaped by ``HTML``.
enum AuthorizationPages {
    static func consent(
        _ pending: AuthorizationCodeService.Pending,
        previews: [Int: CedarConsentPreview],
        id: String,
        csrf: String,
        person: Person,
        _ m: MessageCatalog
    ) -> HTML {
        let request = pending.request
        var scopes: [HTML] = []
        for (index, scope) in request.scope.enumerated() {
            let key = "scope-\(index)"
            let meaning: HTML =
                Self.describe(scope).map { id -> HTML in "<dl><dt>\(m(.consentMeans))</dt><dd>\(m(id))</dd></dl>" } ?? .empty
            scopes.append(
                """
                <div class="right"><input type="checkbox" name="scope" value="\(scope)" id="\(key)" checked>
                <label for="\(key)">\(scope)</label>\(meaning)</div>
                """
            )
        }
        // RFC 9396: each authorization_details entry readable, with a checkbox; a Cedar-profile entry
        // as one explained card per policy (approved with its entry).
        var details: [HTML] = []
        for (index, entry) in (request.authorizationDetails ?? []).enumerated() {
            guard case .object(var members) = entry else { continue }
            let key = "detail-\(index)"
            var body: HTML
            if let preview = previews[index] {
                members["policySet"] = nil
                let cards = ConsentCards.cedar(preview, id: { "d\(index)p\($0)" }, tickable: false, m)
                body = "\(ConsentCards.members(members, m))\(cards)"
            } else {
                body = ConsentCards.members(members, m)
            }
            let type: HTML = members["type"]?.stringValue.map { type -> HTML in "\(type)" } ?? m(.consentDefaultType)
            details.append(
                """
                <div class="right"><input type="checkbox" name="detail" value="\(index)" id="\(key)" checked>
                <label for="\(key)">\(type)</label>\(body)</div>
                """
            )
        }
        // One group per kind of checkbox (scopes, entries), each named by its legend.
        var access: HTML = scopes.isEmpty && details.isEmpty ? "<h2>\(m(.consentAccess))</h2><p>\(m(.consentNoPermissions))</p>" : .empty
        if !scopes.isEmpty { access = "<fieldset class=\"rights\"><legend>\(m(.consentAccess))</legend>\(scopes)</fieldset>" }
        if !details.isEmpty {
            access = "\(access)<fieldset class=\"rights\"><legend>\(m(.consentDetails))</legend>\(details)</fieldset>"
        }
        let resources: HTML =
            request.resources.isEmpty
            ? .empty
            : "<h2>\(m(.consentAt))</h2><ul>\(request.resources.map { resource -> HTML in "<li>\(resource)</li>" })</ul>"
        let host = URLComponents(string: request.redirectURI)?.host ?? request.redirectURI
        let title = m.text(.consentTitle)
        return PageLayout.page(
            title: title,
            body: """
                <h1>\(title)</h1>
                \(InteractionPages.greeting(person, m))
                \(Self.who(pending.presentation, m))
                <form method="post" action="\(PagePaths.link("/authorize/" + id))">
                <input type="hidden" name="csrf" value="\(csrf)">
                \(access)
                \(resources)
                <p class="note">\(m(.consentSentBack, ["host": "<strong>\(host)</strong>"]))</p>
                \(InteractionPages.decisionButtons(m))
                </form>
                \(InteractionPages.signedIn(person, csrf: csrf, m))
                """,
            m
        )
    }

    /// Who asks. A client the operator registered is named by the name the operator gave it, said to
    /// be registered by the operator (or by its id when it has none); a client known only by its
    /// metadata document (CIMD) is shown as it names itself, marked unverified, with the host that
    /// published the document — and a warning when it only ever returns to this computer, where any
    /// local program could use the same `client_id` (MCP security considerations, "localhost impersonation");
    /// so does a public client the operator registered whose redirect URIs are all on loopback.
    static func who(_ who: ClientPresentation, _ m: MessageCatalog) -> HTML {
        guard who.isSelfRegistered || who.publisher != nil else {
            let warning: HTML = who.returnsOnlyToThisComputer ? "<p class=\"note warning\">\(m(.loopbackOperator))</p>" : .empty
            return """
                <p>\(m(.asksOnYourBehalf, ["who": InteractionPages.asking(who, m)]))</p>
                <dl class="client"><dt>\(m(.identifiedBy))</dt><dd><bdi>\(who.identity)</bdi></dd>\(InteractionPages.registeredByOperator(who, m))</dl>
                \(warning)
                """
        }
        let loopback: MessageID = who.isSelfRegistered ? .loopbackRegistered : .loopbackMetadata
        let warning: HTML = who.returnsOnlyToThisComputer ? "<p class=\"note warning\">\(m(loopback))</p>" : .empty
        return """
            <p>\(m(.asksOnYourBehalf, ["who": named(who, m)]))</p>
            \(unvouched(who, m))
            \(warning)
            """
    }

    /// Plain words for the OpenID Connect scopes (Core §5.4); other scopes are shown as they are.
    static func describe(_ scope: String) -> MessageID? {
        switch scope {
        case "openid": .scopeOpenID
        case "profile": .scopeProfile
        case "offline_access": .scopeOfflineAccess
        default: nil
        }
    }
}
