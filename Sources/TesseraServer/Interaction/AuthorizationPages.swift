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
        person: Person
    ) -> HTML {
        let request = pending.request
        var rights: [HTML] = []
        for (index, scope) in request.scope.enumerated() {
            let key = "scope-\(index)"
            let meaning: HTML = Self.describe(scope).map { text -> HTML in "<dl><dt>Means</dt><dd>\(text)</dd></dl>" } ?? .empty
            rights.append(
                """
                <div class="right"><input type="checkbox" name="scope" value="\(scope)" id="\(key)" checked>
                <label for="\(key)">\(scope)</label>\(meaning)</div>
                """
            )
        }
        // RFC 9396: each authorization_details entry readable, with a checkbox; a Cedar-profile entry
        // as one explained card per policy (approved with its entry).
        for (index, entry) in (request.authorizationDetails ?? []).enumerated() {
            guard case .object(var members) = entry else { continue }
            let key = "detail-\(index)"
            var body: HTML
            if let preview = previews[index] {
                members["policySet"] = nil
                let cards = ConsentCards.cedar(preview, id: { "d\(index)p\($0)" }, tickable: false)
                body = "\(ConsentCards.members(members))\(cards)"
            } else {
                body = ConsentCards.members(members)
            }
            rights.append(
                """
                <div class="right"><input type="checkbox" name="detail" value="\(index)" id="\(key)" checked>
                <label for="\(key)">\(members["type"]?.stringValue ?? "access")</label>\(body)</div>
                """
            )
        }
        let access: HTML = rights.isEmpty ? "<p>No specific permissions.</p>" : "\(rights)"
        let resources: HTML =
            request.resources.isEmpty
            ? .empty
            : "<h2>At</h2><ul>\(request.resources.map { resource -> HTML in "<li>\(resource)</li>" })</ul>"
        let host = URLComponents(string: request.redirectURI)?.host ?? request.redirectURI
        return PageLayout.page(
            title: "Allow access?",
            body: """
                <h1>Allow access?</h1>
                \(InteractionPages.greeting(person))
                \(Self.who(pending))
                <form method="post" action="/authorize/\(id)">
                <input type="hidden" name="csrf" value="\(csrf)">
                <h2>Access</h2>
                \(access)
                \(resources)
                <p class="note">You will then be sent back to <strong>\(host)</strong>.</p>
                \(InteractionPages.decisionButtons)
                </form>
                \(InteractionPages.signedIn(person, csrf: csrf))
                """
        )
    }

    /// Who asks. A registered client is named by its id; a client known only by its metadata
    /// document (CIMD) is shown as it names itself, marked unverified, with the host that published
    /// the document — and a warning when it only ever returns to this computer, where any local
    /// program could use the same `client_id` (MCP security considerations, "localhost impersonation").
    static func who(_ pending: AuthorizationCodeService.Pending) -> HTML {
        let who = pending.presentation
        if who.isSelfRegistered { return selfRegistered(who) }
        guard let publisher = who.publisher else {
            return """
                <p>\(InteractionPages.asking(who)) asks for access on your behalf.</p>
                <dl class="client"><dt>Identified by</dt><dd>\(who.identity)</dd></dl>
                """
        }
        let named: HTML = who.name == nil ? "<strong>An application</strong> (unverified)" : InteractionPages.asking(who)
        let warning: HTML =
            who.returnsOnlyToThisComputer
            ? """
            <p class="note warning">This application runs on your own computer. Any program on it could use the same name: \
            continue only if you just started it yourself.</p>
            """
            : .empty
        return """
            <p>\(named) asks for access on your behalf.</p>
            <dl class="client"><dt>Identified by</dt><dd>\(who.identity)</dd>
            <dt>Described by</dt><dd>a document published at \(publisher), not registered with this server</dd></dl>
            \(warning)
            """
    }

    /// Plain words for the OpenID Connect scopes (Core §5.4); other scopes are shown as they are.
    static func describe(_ scope: String) -> String? {
        switch scope {
        case "openid": "confirm who you are (your account identifier)"
        case "profile": "your name and username"
        case "offline_access": "keep access while you are away"
        default: nil
        }
    }
}
