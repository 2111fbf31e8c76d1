import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraStorage

/// The templates of the interaction pages (RFC 9635 §4): sign-in, consent, user-code entry.
/// Every value from a request or a stored grant is escaped by ``HTML``.
enum InteractionPages {
    /// The sign-in page. `username` is what the person typed (kept after a wrong password, escaped);
    /// `asking` names the application whose request brought them here.
    static func signIn(csrf: String, next: String, failed: Bool, username: String = "", asking who: ClientPresentation? = nil) -> HTML {
        let error: HTML =
            failed
            ? "<p class=\"error\" role=\"alert\" id=\"sign-in-error\">Wrong username or password. Check them and try again.</p>"
            : .empty
        var asking: HTML = .empty
        if let who {
            let publisher: HTML = who.publisher.map { host -> HTML in ", described by a document published at \(host)" } ?? .empty
            asking = """
                <p class="asking" id="asking">\(Self.asking(who)) (identified by \(who.identity)\(publisher)) asks for access \
                to your account. Sign in to see what it asks for and decide.</p>
                """
        }
        let kept = String(username.prefix(64))
        let describedBy: HTML = failed ? " aria-describedby=\"sign-in-error\"" : .empty
        let focus: HTML = failed && !kept.isEmpty ? " autofocus" : .empty
        return PageLayout.page(
            title: "Sign in",
            body: """
                <h1>Sign in</h1>
                \(asking)
                \(error)
                <form method="post" action="/signin">
                <input type="hidden" name="csrf" value="\(csrf)">
                <input type="hidden" name="next" value="\(next)">
                <label for="username">Username</label>
                <input type="text" id="username" name="username" value="\(kept)" autocomplete="username" autocapitalize="none" required\(describedBy)>
                <label for="password">Password</label>
                <input type="password" id="password" name="password" autocomplete="current-password" required\(focus)>
                <button type="submit" class="primary" id="sign-in">Sign in</button>
                </form>
                """
        )
    }

    static func userCode(csrf: String, person: Person, failed: Bool) -> HTML {
        let error: HTML =
            failed
            ? "<p class=\"error\" role=\"alert\">That code is not valid. Check it and try again; codes expire after a few minutes.</p>"
            : .empty
        return PageLayout.page(
            title: "Enter your code",
            body: """
                <h1>Connect a device</h1>
                <p>Enter the code shown by the application or device.</p>
                \(error)
                <form method="post" action="/device">
                <input type="hidden" name="csrf" value="\(csrf)">
                <label for="user_code">Code</label>
                <input type="text" id="user_code" name="user_code" class="code" autocomplete="off" autocapitalize="characters"
                 spellcheck="false" inputmode="text" maxlength="16" placeholder="XXXX-XXXX" required>
                <button type="submit" class="primary" id="continue">Continue</button>
                </form>
                \(signedIn(person, csrf: csrf))
                """
        )
    }

    static func consent(_ view: GNAPService.InteractionView, csrf: String, person: Person) -> HTML {
        let request = view.request
        let who = ClientPresentation(name: view.clientName, nameIsVerified: view.clientNameVerified, identity: view.clientIdentity)
        let client: HTML =
            """
            <p>\(asking(who)) asks for access on your behalf.</p>
            <dl class="client">\(view.clientURI.map { uri -> HTML in "<dt>Web site</dt><dd>\(uri)</dd>" } ?? .empty)
            <dt>Identified by</dt><dd>\(view.clientIdentity)</dd></dl>
            """
        var tokens: [HTML] = []
        for (tokenIndex, token) in (request.accessToken?.requests ?? []).enumerated() {
            var rights: [HTML] = []
            for (rightIndex, right) in token.access.enumerated() {
                let key = GNAPService.rightKey(token: tokenIndex, right: rightIndex)
                rights.append(
                    """
                    <div class="right"><input type="checkbox" name="right" value="\(key)" id="\(key)" checked>
                    <label for="\(key)">\(right.typeOrReference)</label>\(describe(right, token: tokenIndex, right: rightIndex, preview: view.cedarPreviews[key]))</div>
                    """
                )
            }
            let heading: HTML = token.label.map { label -> HTML in "<h2>Token “\(label)”</h2>" } ?? "<h2>Access</h2>"
            tokens.append("\(heading)\(rights)")
        }
        var subject: HTML = .empty
        if let wanted = request.subject {
            var items: [HTML] = []
            if let formats = wanted.subIDFormats, !formats.isEmpty {
                items.append("<li>your account identifier (\(formats.joined(separator: ", ")))</li>")
            }
            if let formats = wanted.assertionFormats, !formats.isEmpty {
                items.append("<li>assertions about you (\(formats.joined(separator: ", ")))</li>")
            }
            if !items.isEmpty { subject = "<h2>Information about you</h2><ul>\(items)</ul>" }
        }
        var finish: HTML = "<p class=\"note\">When you decide, return to the application.</p>"
        if let uri = view.interaction.finishURI, let host = URLComponents(string: uri)?.host {
            finish =
                view.interaction.finishMethod == "redirect"
                ? "<p class=\"note\">You will then be sent back to <strong>\(host)</strong>.</p>"
                : "<p class=\"note\">The application at <strong>\(host)</strong> will be told your decision.</p>"
        }
        return PageLayout.page(
            title: "Allow access?",
            body: """
                <h1>Allow access?</h1>
                \(greeting(person))
                \(client)
                <form method="post" action="/interact/\(view.interaction.id)">
                <input type="hidden" name="csrf" value="\(csrf)">
                <input type="hidden" name="rights_digest" value="\(view.rightsDigest)">
                \(tokens)
                \(subject)
                \(finish)
                \(decisionButtons)
                </form>
                \(signedIn(person, csrf: csrf))
                """
        )
    }

    /// One clear primary action: approve what stays ticked (everything, unless the person unticks);
    /// and deny. `approve_all` is still accepted from forms that post it.
    static let decisionButtons: HTML = """
        <p class="note">Untick what you do not want to share; the application gets only what stays ticked.</p>
        <div class="actions"><button type="submit" name="decision" value="approve" class="primary" id="approve">Approve</button>
        <button type="submit" name="decision" value="deny" id="deny">Deny</button></div>
        """

    /// Who asks: a name the operator configured in bold; a name the client gives itself in quotes,
    /// marked "as it names itself"; no name: "An application".
    static func asking(_ who: ClientPresentation) -> HTML {
        guard let name = who.name, !name.isEmpty else { return "<strong>An application</strong>" }
        if who.nameIsVerified { return "<strong>\(name)</strong>" }
        return "<strong>“\(name)”</strong> (as it names itself, unverified)"
    }

    /// A right's members, readable: a Cedar-profile right as one card per policy (explained, each
    /// tickable: partial approval narrows the set), any other right as a list of its members.
    static func describe(_ right: GNAPAccessRight, token: Int, right rightIndex: Int, preview: CedarConsentPreview?) -> HTML {
        guard case .object(let object) = right else { return "<dl><dt>Reference</dt><dd>a predefined access right</dd></dl>" }
        var members = ConsentCards.members(of: object)
        guard GNAPService.cedarPolicies(of: right) != nil else { return ConsentCards.members(members) }
        members["policySet"] = nil
        let cards: HTML
        if let preview {
            cards = ConsentCards.cedar(preview, id: { GNAPService.policyKey(token: token, right: rightIndex, policy: $0) }, tickable: true)
        } else {
            // Not explainable here (no processor): the policies as code, still one tick each.
            let policies = GNAPService.cedarPolicies(of: right) ?? []
            cards = HTML.join(
                policies.enumerated().map { index, policy -> HTML in
                    let key = GNAPService.policyKey(token: token, right: rightIndex, policy: index)
                    return """
                        <div class="card policy" id="card-\(key)"><input type="checkbox" name="policy" value="\(key)" id="\(key)" checked>
                        <label for="\(key)">policy \(index + 1)</label><pre>\(policy)</pre></div>
                        """
                }
            )
        }
        let note: HTML = "<p class=\"note\">Each policy below is one permission; untick a policy to leave it out.</p>"
        return "\(ConsentCards.members(members))\(note)\(cards)"
    }

    /// A string as-is (Cedar policy text), anything else as indented JSON.
    static func readable(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    static func signedIn(_ person: Person, csrf: String) -> HTML {
        """
        <form method="post" action="/signout" class="note">Signed in as <strong>\(person.name)</strong>\(person.usernameAside).
        <a href="/account" id="account">Your account and the access you gave</a>.
        <input type="hidden" name="csrf" value="\(csrf)"><button type="submit" id="sign-out">Sign out</button></form>
        """
    }

    /// "Hello, Alice Liddell." at the top of the pages a signed-in person decides on.
    static func greeting(_ person: Person) -> HTML { "<p class=\"greeting\" id=\"greeting\">Hello, \(person.name).</p>" }
}

/// The signed-in person as the pages greet them: by display name when they have one.
struct Person: Sendable {
    var username: String
    var displayName: String?

    var name: String { displayName.flatMap { $0.isEmpty ? nil : $0 } ?? username }
    /// " (alice)" after a display name, so the account is still recognisable.
    var usernameAside: String { name == username ? "" : " (\(username))" }
}
