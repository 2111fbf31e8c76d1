import Foundation
import Hummingbird
import TesseraEngine
import TesseraProtocol

/// A client nobody vouched for: one known only by its metadata document (CIMD) or one that registered itself
/// (RFC 7591). It names itself, unverified (RFC 7591 §5: "the authorization server SHOULD display … that the client
/// was dynamically registered"), and its redirect URI is only its own word (RFC 9700 §4.11.2).
extension AuthorizationPages {
    /// How it names itself, marked unverified.
    static func named(_ who: ClientPresentation, _ m: MessageCatalog) -> HTML {
        who.name.map { name -> HTML in m(.namesItself, ["name": "<strong>“<bdi>\(name)</bdi>”</strong>"]) }
            ?? m(.unverified, ["who": "<strong>\(m(.anApplication))</strong>"])
    }

    /// What a person can check about it: its identifier, and the host that published its document or that it
    /// registered itself.
    static func unvouched(_ who: ClientPresentation, _ m: MessageCatalog) -> HTML {
        let origin: HTML =
            who.publisher.map { host -> HTML in "<dt>\(m(.describedBy))</dt><dd>\(m(.describedByDocument, ["host": "\(host)"]))</dd>" }
            ?? "<dt>\(m(.registeredBy))</dt><dd>\(m(.registeredByItself))</dd>"
        return """
            <dl class="client"><dt>\(m(.identifiedBy))</dt><dd><bdi>\(who.identity)</bdi></dd>
            \(origin)</dl>
            """
    }

    /// An error of the authorization endpoint for such a client before the person saw it on the consent page
    /// (review round 12, K5): the error, the client and its redirect host, and a link carrying the error response
    /// back — followed by the person, never by the server (RFC 9700 §4.11.2), so the client still learns the error.
    /// - Parameters:
    ///   - link: the error and where it goes.
    ///   - m: the language.
    /// - Returns: the page, `400 Bad Request`.
    static func errorPage(_ link: AuthorizationCodeService.ErrorLink, _ m: MessageCatalog) -> Response {
        let host = URLComponents(string: link.redirectURI)?.host ?? link.redirectURI
        let error: HTML = "<code>\(link.error.code.rawValue)</code>: \(link.error.message)"
        let title = m.text(.cannotContinueTitle)
        let body: HTML = """
            <section class="error"><h1>\(title)</h1>
            <p>\(m(.linkRefused, ["who": named(link.client, m), "error": error]))</p>
            \(unvouched(link.client, m))
            <p class="note">\(m(.linkNotSent, ["host": "<strong>\(host)</strong>"]))</p>
            <p><a id="return" href="\(link.location)">\(m(.linkReturn, ["host": "\(host)"]))</a></p>
            </section>
            """
        return PageLayout.response(PageLayout.page(title: title, body: body, m), m, status: .badRequest)
    }
}
