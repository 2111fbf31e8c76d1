import Foundation
import TesseraEngine
import TesseraProtocol

/// The account page: the OAuth consents and the GNAP grants the signed-in person gave, each with a
/// withdraw button (a POST carrying the session's CSRF token). Every value is escaped by ``HTML``.
enum AccountPages {
    static func account(
        _ consents: [AuthorizationCodeService.Consent],
        grants: [GNAPService.ApprovedGrant],
        person: Person,
        csrf: String,
        notice: MessageID? = nil,
        _ m: MessageCatalog
    ) -> HTML {
        let formatter = ISO8601DateFormatter()
        let items: [HTML] = consents.map { consent in
            let scope: HTML =
                consent.scope.isEmpty
                ? .empty : "<dt>\(m(.accountScope))</dt><dd>\(consent.scope.joined(separator: " "))</dd>"
            let resources: HTML =
                consent.resources.isEmpty
                ? .empty : "<dt>\(m(.accountAt))</dt><dd>\(consent.resources.joined(separator: ", "))</dd>"
            let details: HTML = HTML.join(
                consent.authorizationDetails.map { entry -> HTML in
                    let type: HTML =
                        if case .object(let members) = entry, let type = members["type"]?.stringValue { "\(type)" } else {
                            m(.consentDefaultType)
                        }
                    return "<dt>\(m(.accountDetails))</dt><dd>\(type)<pre>\(AuthorizationCodeService.canonical([entry]))</pre></dd>"
                }
            )
            return """
                <div class="right consent"><dl><dt>\(m(.accountApplication))</dt><dd>\(consent.clientID)</dd>\(scope)\(resources)\(details)
                <dt>\(m(.accountGiven))</dt><dd>\(formatter.string(from: consent.createdAt))</dd></dl>
                <form method="post" action="\(PagePaths.link("/account/consents/" + consent.id + "/withdraw"))">
                <input type="hidden" name="csrf" value="\(csrf)">
                <button type="submit" id="withdraw-\(consent.id)" class="withdraw">\(m(.accountWithdraw))</button></form></div>
                """
        }
        // GNAP grants (RFC 9635): the application, the rights of each approved token, and a withdraw form.
        let grantItems: [HTML] = grants.map { grant in
            let tokens: [HTML] = grant.tokens.map { token in
                let rights: [HTML] = token.access.map { right in
                    guard case .object(let object) = right else {
                        return "<li>\(right.typeOrReference) (\(m(.consentPredefined)))</li>"
                    }
                    return "<li><strong>\(object.type)</strong>\(ConsentCards.members(ConsentCards.members(of: object), m))</li>"
                }
                let label: HTML = token.label.map { label -> HTML in "<dt>\(m(.accountToken))</dt><dd>“\(label)”</dd>" } ?? .empty
                return "\(label)<dt>\(m(.accountAccess))</dt><dd><ul class=\"rights\">\(rights)</ul></dd>"
            }
            return """
                <div class="right grant" id="grant-\(grant.id)"><dl><dt>\(m(.accountApplication))</dt><dd>\(InteractionPages.asking(grant.client, m)) \
                (<bdi>\(grant.client.identity)</bdi>)</dd>\(tokens)
                <dt>\(m(.accountApproved))</dt><dd>\(formatter.string(from: grant.approvedAt))</dd></dl>
                <form method="post" action="\(PagePaths.link("/account/grants/" + grant.id + "/withdraw"))">
                <input type="hidden" name="csrf" value="\(csrf)">
                <button type="submit" id="withdraw-grant-\(grant.id)" class="withdraw">\(m(.accountWithdraw))</button></form></div>
                """
        }
        let list: HTML =
            items.isEmpty && grantItems.isEmpty
            ? "<p id=\"no-consents\">\(m(.accountNone))</p>"
            : "\(items)\(grantItems)"
        let shown: HTML = notice.map { id -> HTML in "<p class=\"notice\" id=\"notice\" role=\"status\">\(m(id))</p>" } ?? .empty
        let title = m.text(.accountTitle)
        return PageLayout.page(
            title: title,
            body: """
                <h1>\(title)</h1>
                \(InteractionPages.greeting(person, m))
                \(shown)
                <h2>\(m(.accountHeading))</h2>
                <p class="note">\(m(.accountNote))</p>
                \(list)
                \(InteractionPages.signedIn(person, csrf: csrf, m))
                """,
            m
        )
    }
}
