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
        notice: String? = nil
    ) -> HTML {
        let formatter = ISO8601DateFormatter()
        let items: [HTML] = consents.map { consent in
            let scope: HTML =
                consent.scope.isEmpty
                ? .empty : "<dt>Scope</dt><dd>\(consent.scope.joined(separator: " "))</dd>"
            let resources: HTML =
                consent.resources.isEmpty
                ? .empty : "<dt>At</dt><dd>\(consent.resources.joined(separator: ", "))</dd>"
            let details: HTML = HTML.join(
                consent.authorizationDetails.map { entry -> HTML in
                    let type: String = if case .object(let members) = entry { members["type"]?.stringValue ?? "access" } else { "access" }
                    return "<dt>Details</dt><dd>\(type)<pre>\(AuthorizationCodeService.canonical([entry]))</pre></dd>"
                }
            )
            return """
                <div class="right consent"><dl><dt>Application</dt><dd>\(consent.clientID)</dd>\(scope)\(resources)\(details)
                <dt>Given</dt><dd>\(formatter.string(from: consent.createdAt))</dd></dl>
                <form method="post" action="/account/consents/\(consent.id)/withdraw">
                <input type="hidden" name="csrf" value="\(csrf)">
                <button type="submit" id="withdraw-\(consent.id)" class="withdraw">Withdraw</button></form></div>
                """
        }
        // GNAP grants (RFC 9635): the application, the rights of each approved token, and a withdraw form.
        let grantItems: [HTML] = grants.map { grant in
            let tokens: [HTML] = grant.tokens.map { token in
                let rights: [HTML] = token.access.map { right in
                    guard case .object(let object) = right else { return "<li>\(right.typeOrReference) (a predefined access right)</li>" }
                    return "<li><strong>\(object.type)</strong>\(ConsentCards.members(ConsentCards.members(of: object)))</li>"
                }
                let label: HTML = token.label.map { label -> HTML in "<dt>Token</dt><dd>“\(label)”</dd>" } ?? .empty
                return "\(label)<dt>Access</dt><dd><ul class=\"rights\">\(rights)</ul></dd>"
            }
            return """
                <div class="right grant" id="grant-\(grant.id)"><dl><dt>Application</dt><dd>\(InteractionPages.asking(grant.client)) \
                (\(grant.client.identity))</dd>\(tokens)
                <dt>Approved</dt><dd>\(formatter.string(from: grant.approvedAt))</dd></dl>
                <form method="post" action="/account/grants/\(grant.id)/withdraw">
                <input type="hidden" name="csrf" value="\(csrf)">
                <button type="submit" id="withdraw-grant-\(grant.id)" class="withdraw">Withdraw</button></form></div>
                """
        }
        let list: HTML =
            items.isEmpty && grantItems.isEmpty
            ? "<p id=\"no-consents\">You have not given any application access.</p>"
            : "\(items)\(grantItems)"
        let shown: HTML = notice.map { text -> HTML in "<p class=\"notice\" id=\"notice\" role=\"status\">\(text)</p>" } ?? .empty
        return PageLayout.page(
            title: "Your account",
            body: """
                <h1>Your account</h1>
                \(InteractionPages.greeting(person))
                \(shown)
                <h2>Access you gave to applications</h2>
                <p class="note">Withdrawing ends that access now: the application's tokens stop working and it must ask you again.</p>
                \(list)
                \(InteractionPages.signedIn(person, csrf: csrf))
                """
        )
    }
}
