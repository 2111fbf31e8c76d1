import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraStorage

/// The templates of the interaction pages (RFC 9635 §4): sign-in, consent, user-code entry.
/// Every value from a request or a stored grant is escaped by ``HTML``.
enum InteractionPages {
    static func signIn(csrf: String, next: String, failed: Bool) -> HTML {
        let error: HTML = failed ? "<p class=\"error\" role=\"alert\">Wrong username or password.</p>" : .empty
        return PageLayout.page(
            title: "Sign in",
            body: """
                <h1>Sign in</h1>
                \(error)
                <form method="post" action="/signin">
                <input type="hidden" name="csrf" value="\(csrf)">
                <input type="hidden" name="next" value="\(next)">
                <label for="username">Username</label>
                <input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" required>
                <label for="password">Password</label>
                <input type="password" id="password" name="password" autocomplete="current-password" required>
                <button type="submit" class="primary" id="sign-in">Sign in</button>
                </form>
                """
        )
    }

    static func userCode(csrf: String, username: String, failed: Bool) -> HTML {
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
                \(signedIn(username, csrf: csrf))
                """
        )
    }

    static func consent(_ view: GNAPService.InteractionView, csrf: String, username: String) -> HTML {
        let request = view.request
        let named: String = view.clientName == nil ? "" : "(as it names itself)"
        let client: HTML =
            """
            <p><strong>\(view.clientName ?? "An application")</strong> \(named)
            asks for access on your behalf.</p>
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
                    <label for="\(key)">\(right.typeOrReference)</label>\(describe(right, token: tokenIndex, right: rightIndex))</div>
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
                \(client)
                <form method="post" action="/interact/\(view.interaction.id)">
                <input type="hidden" name="csrf" value="\(csrf)">
                <input type="hidden" name="rights_digest" value="\(view.rightsDigest)">
                \(tokens)
                \(subject)
                <p class="note">Untick what you do not want to share; the application gets only what stays ticked.</p>
                \(finish)
                <button type="submit" name="decision" value="approve" class="primary" id="approve">Approve selected</button>
                <button type="submit" name="decision" value="approve_all" id="approve-all">Approve all</button>
                <button type="submit" name="decision" value="deny" id="deny">Deny</button>
                </form>
                \(signedIn(username, csrf: csrf))
                """
        )
    }

    /// A right's members, readable: a Cedar-profile `policySet` as one tickable policy each (partial
    /// approval narrows the set), any other structured member as indented JSON.
    static func describe(_ right: GNAPAccessRight, token: Int, right rightIndex: Int) -> HTML {
        guard case .object(let object) = right else { return "<dl><dt>Reference</dt><dd>a predefined access right</dd></dl>" }
        var rows: [HTML] = []
        func list(_ name: String, _ values: [String]?) {
            if let values, !values.isEmpty { rows.append("<dt>\(name)</dt><dd>\(values.joined(separator: ", "))</dd>") }
        }
        list("Actions", object.actions)
        list("Locations", object.locations)
        list("Data types", object.datatypes)
        if let identifier = object.identifier { rows.append("<dt>Identifier</dt><dd>\(identifier)</dd>") }
        list("Privileges", object.privileges)
        var blocks: [HTML] = []
        let policies = GNAPService.cedarPolicies(of: right)
        if let policies {
            blocks.append("<p><strong>Cedar policies</strong> (untick a policy to leave it out)</p>")
            for (index, policy) in policies.enumerated() {
                let key = GNAPService.policyKey(token: token, right: rightIndex, policy: index)
                blocks.append(
                    """
                    <div class="policy"><input type="checkbox" name="policy" value="\(key)" id="\(key)" checked>
                    <label for="\(key)">policy \(index + 1)</label><pre>\(policy)</pre></div>
                    """
                )
            }
        }
        for (name, value) in object.extra.sorted(by: { $0.key < $1.key }) where !(policies != nil && name == "policySet") {
            let title = name == "policySet" ? "Cedar policies" : name
            blocks.append("<p><strong>\(title)</strong></p><pre>\(readable(value))</pre>")
        }
        return "<dl>\(rows)</dl>\(blocks)"
    }

    /// A string as-is (Cedar policy text), anything else as indented JSON.
    static func readable(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    static func signedIn(_ username: String, csrf: String) -> HTML {
        """
        <form method="post" action="/signout" class="note">Signed in as <strong>\(username)</strong>.
        <a href="/account" id="account">Your account and the access you gave</a>.
        <input type="hidden" name="csrf" value="\(csrf)"><button type="submit" id="sign-out">Sign out</button></form>
        """
    }
}
