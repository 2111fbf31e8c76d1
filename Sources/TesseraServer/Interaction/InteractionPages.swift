import Foundation
import TesseraEngine
import TesseraProtocol

/// The templates of the interaction pages (RFC 9635 §4): sign-in, consent, user-code entry.
/// Every value from a request or a stored grant is escaped by ``HTML``.
enum InteractionPages {
    /// The sign-in page. `username` is what the person typed (kept after a wrong password, escaped);
    /// `asking` names the application whose request brought them here.
    static func signIn(
        csrf: String,
        next: String,
        failed: Bool,
        username: String = "",
        asking who: ClientPresentation? = nil,
        _ m: MessageCatalog
    ) -> HTML {
        let error: HTML = failed ? "<p class=\"error\" role=\"alert\" id=\"sign-in-error\">\(m(.signInWrong))</p>" : .empty
        var asking: HTML = .empty
        if let who {
            let identity: HTML = "<bdi>\(who.identity)</bdi>"
            let text =
                if let host = who.publisher {
                    m(.signInAskingPublished, ["who": Self.asking(who, m), "identity": identity, "host": "\(host)"])
                } else if who.nameIsVerified && who.name != nil {
                    m(.signInAskingRegistered, ["who": Self.asking(who, m), "identity": identity])
                } else {
                    m(.signInAsking, ["who": Self.asking(who, m), "identity": identity])
                }
            asking = "<p class=\"asking\" id=\"asking\">\(text)</p>"
        }
        let kept = String(username.prefix(64))
        let describedBy: HTML = failed ? " aria-describedby=\"sign-in-error\"" : .empty
        let focus: HTML = failed && !kept.isEmpty ? " autofocus" : .empty
        let title = m.text(.signInTitle)
        return PageLayout.page(
            title: title,
            body: """
                <h1>\(title)</h1>
                \(asking)
                \(error)
                <form method="post" action="\(PagePaths.link("/signin"))">
                <input type="hidden" name="csrf" value="\(csrf)">
                <input type="hidden" name="next" value="\(next)">
                <label for="username">\(m(.signInUsername))</label>
                <input type="text" id="username" name="username" value="\(kept)" autocomplete="username" autocapitalize="none" required\(describedBy)>
                <label for="password">\(m(.signInPassword))</label>
                <input type="password" id="password" name="password" autocomplete="current-password" required\(focus)>
                <button type="submit" class="primary" id="sign-in">\(m(.signInSubmit))</button>
                </form>
                """,
            m
        )
    }

    static func userCode(csrf: String, person: Person, failed: Bool, _ m: MessageCatalog) -> HTML {
        let error: HTML = failed ? "<p class=\"error\" role=\"alert\" id=\"user-code-error\">\(m(.userCodeWrong))</p>" : .empty
        let describedBy: HTML = failed ? " aria-describedby=\"user-code-error\"" : .empty
        return PageLayout.page(
            title: m.text(.userCodeTitle),
            body: """
                <h1>\(m(.userCodeHeading))</h1>
                <p>\(m(.userCodeIntro))</p>
                \(error)
                <form method="post" action="\(PagePaths.link("/device"))">
                <input type="hidden" name="csrf" value="\(csrf)">
                <label for="user_code">\(m(.userCodeLabel))</label>
                <input type="text" id="user_code" name="user_code" class="code" autocomplete="off" autocapitalize="characters"
                 spellcheck="false" inputmode="text" maxlength="16" placeholder="XXXX-XXXX" required\(describedBy)>
                <button type="submit" class="primary" id="continue">\(m(.userCodeSubmit))</button>
                </form>
                \(signedIn(person, csrf: csrf, m))
                """,
            m
        )
    }

    static func consent(_ view: GNAPService.InteractionView, csrf: String, person: Person, _ m: MessageCatalog) -> HTML {
        let request = view.request
        let who = ClientPresentation(name: view.clientName, nameIsVerified: view.clientNameVerified, identity: view.clientIdentity)
        let client: HTML =
            """
            <p>\(m(.asksOnYourBehalf, ["who": asking(who, m)]))</p>
            <dl class="client">\(view.clientURI.map { uri -> HTML in "<dt>\(m(.webSite))</dt><dd>\(uri)</dd>" } ?? .empty)
            <dt>\(m(.identifiedBy))</dt><dd>\(view.clientIdentity)</dd>\(registeredByOperator(who, m))</dl>
            """
        var tokens: [HTML] = []
        for (tokenIndex, token) in (request.accessToken?.requests ?? []).enumerated() {
            var rights: [HTML] = []
            for (rightIndex, right) in token.access.enumerated() {
                let key = GNAPService.rightKey(token: tokenIndex, right: rightIndex)
                rights.append(
                    """
                    <div class="right"><input type="checkbox" name="right" value="\(key)" id="\(key)" checked>
                    <label for="\(key)">\(right.typeOrReference)</label>\(describe(right, token: tokenIndex, right: rightIndex, preview: view.cedarPreviews[key], m))</div>
                    """
                )
            }
            let heading: HTML =
                token.label.map { label -> HTML in "<h2>\(m(.consentToken, ["label": "\(label)"]))</h2>" }
                ?? "<h2>\(m(.consentAccess))</h2>"
            // RFC 9635 §2.1.1: a bearer token is not bound to the client's key; whoever holds it can use it. Said per
            // token, in plain words, so a person approving several sees which one (second review, with G2).
            let bearer: HTML = token.flags?.contains("bearer") == true ? "<p class=\"notice bearer\">\(m(.consentBearer))</p>" : .empty
            tokens.append("\(heading)\(bearer)\(rights)")
        }
        var subject: HTML = .empty
        if let wanted = request.subject {
            var items: [HTML] = []
            if let formats = wanted.subIDFormats, !formats.isEmpty {
                items.append("<li>\(m(.consentSubjectIdentifier, ["formats": "\(formats.joined(separator: ", "))"]))</li>")
            }
            if let formats = wanted.assertionFormats, !formats.isEmpty {
                items.append("<li>\(m(.consentSubjectAssertions, ["formats": "\(formats.joined(separator: ", "))"]))</li>")
            }
            if !items.isEmpty { subject = "<h2>\(m(.consentSubject))</h2><ul>\(items)</ul>" }
        }
        var finish: HTML = "<p class=\"note\">\(m(.consentReturn))</p>"
        if let uri = view.finishURI, let host = URLComponents(string: uri)?.host {
            let strong: HTML = "<strong>\(host)</strong>"
            finish =
                view.finishMethod == "redirect"
                ? "<p class=\"note\">\(m(.consentSentBack, ["host": strong]))</p>"
                : "<p class=\"note\">\(m(.consentPushed, ["host": strong]))</p>"
        }
        let title = m.text(.consentTitle)
        return PageLayout.page(
            title: title,
            body: """
                <h1>\(title)</h1>
                \(greeting(person, m))
                \(client)
                <form method="post" action="\(PagePaths.link("/interact/" + view.id))">
                <input type="hidden" name="csrf" value="\(csrf)">
                <input type="hidden" name="rights_digest" value="\(view.rightsDigest)">
                <fieldset class="rights"><legend>\(m(.consentRights))</legend>
                \(tokens)
                </fieldset>
                \(subject)
                \(finish)
                \(decisionButtons(m))
                </form>
                \(signedIn(person, csrf: csrf, m))
                """,
            m
        )
    }

    /// One clear primary action: approve what stays ticked (everything, unless the person unticks);
    /// and deny. `approve_all` is still accepted from forms that post it.
    static func decisionButtons(_ m: MessageCatalog) -> HTML {
        """
        <p class="note">\(m(.consentUntick))</p>
        <div class="actions"><button type="submit" name="decision" value="approve" class="primary" id="approve">\(m(.consentApprove))</button>
        <button type="submit" name="decision" value="deny" id="deny">\(m(.consentDeny))</button></div>
        """
    }

    /// Who asks: a name the operator configured in bold; a name the client gives itself in quotes,
    /// marked "as it names itself"; no name: "An application". The name is a bidirectional isolate
    /// (`<bdi>`, Unicode TR9): whatever it holds cannot reorder the words around it.
    static func asking(_ who: ClientPresentation, _ m: MessageCatalog) -> HTML {
        guard let name = who.name, !name.isEmpty else { return "<strong>\(m(.anApplication))</strong>" }
        if who.nameIsVerified { return "<strong><bdi>\(name)</bdi></strong>" }
        return m(.namesItself, ["name": "<strong>“<bdi>\(name)</bdi>”</strong>"])
    }

    /// "Registered by: this server's operator" under a name the operator gave (the verified case).
    static func registeredByOperator(_ who: ClientPresentation, _ m: MessageCatalog) -> HTML {
        guard who.nameIsVerified, let name = who.name, !name.isEmpty else { return .empty }
        return "<dt>\(m(.registeredBy))</dt><dd id=\"registered-by\">\(m(.registeredByOperator))</dd>"
    }

    /// A right's members, readable: a Cedar-profile right as one card per policy (explained, each
    /// tickable: partial approval narrows the set), any other right as a list of its members.
    static func describe(
        _ right: GNAPAccessRight,
        token: Int,
        right rightIndex: Int,
        preview: CedarConsentPreview?,
        _ m: MessageCatalog
    ) -> HTML {
        guard case .object(let object) = right else {
            return "<dl><dt>\(m(.consentReference))</dt><dd>\(m(.consentPredefined))</dd></dl>"
        }
        var members = ConsentCards.members(of: object)
        guard GNAPService.cedarPolicies(of: right) != nil else { return ConsentCards.members(members, m) }
        members["policySet"] = nil
        let cards: HTML
        if let preview {
            cards = ConsentCards.cedar(
                preview,
                id: { GNAPService.policyKey(token: token, right: rightIndex, policy: $0) },
                tickable: true,
                m
            )
        } else {
            // Not explainable here (no processor): the policies as code, still one tick each.
            let policies = GNAPService.cedarPolicies(of: right) ?? []
            cards = HTML.join(
                policies.enumerated().map { index, policy -> HTML in
                    let key = GNAPService.policyKey(token: token, right: rightIndex, policy: index)
                    guard !GNAPService.isForbid(policy: policy) else {
                        return """
                            <div class="card policy forbid" id="card-\(key)"><p>\(m(.consentPolicyNumber, ["number": "\(index + 1)"]))</p>
                            \(ConsentCards.restriction(key: key, m))<pre>\(policy)</pre></div>
                            """
                    }
                    return """
                        <div class="card policy" id="card-\(key)"><input type="checkbox" name="policy" value="\(key)" id="\(key)" checked>
                        <label for="\(key)">\(m(.consentPolicyNumber, ["number": "\(index + 1)"]))</label><pre>\(policy)</pre></div>
                        """
                }
            )
        }
        // The policies' checkboxes are a group of their own, named by the note that explains them.
        let policies: HTML = "<fieldset class=\"policies\"><legend class=\"note\">\(m(.consentPolicyNote))</legend>\(cards)</fieldset>"
        return "\(ConsentCards.members(members, m))\(policies)"
    }

    /// A string as-is (Cedar policy text), anything else as indented JSON.
    static func readable(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    static func signedIn(_ person: Person, csrf: String, _ m: MessageCatalog) -> HTML {
        let name: HTML = "<strong>\(person.name)</strong>\(person.usernameAside)"
        return """
            <form method="post" action="\(PagePaths.link("/signout"))" class="note signed-in">\(m(.signedInAs, ["name": name]))
            <a href="\(PagePaths.link("/account"))" id="account">\(m(.accountLink))</a>.
            <input type="hidden" name="csrf" value="\(csrf)"><button type="submit" id="sign-out">\(m(.signOut))</button></form>
            """
    }

    /// "Hello, Alice Liddell." at the top of the pages a signed-in person decides on.
    static func greeting(_ person: Person, _ m: MessageCatalog) -> HTML {
        "<p class=\"greeting\" id=\"greeting\">\(m(.greeting, ["name": "\(person.name)"]))</p>"
    }
}

/// The signed-in person as the pages greet them: by display name when they have one.
extension Person {
    var name: String { displayName.flatMap { $0.isEmpty ? nil : $0 } ?? username }
    /// " (alice)" after a display name, so the account is still recognisable.
    var usernameAside: String { name == username ? "" : " (\(username))" }
}
