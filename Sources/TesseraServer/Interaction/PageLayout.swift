import HTTPTypes
import Hummingbird
import NIOCore

/// The frame of every interaction page: no JavaScript, one small stylesheet, readable on a phone,
/// and headers that keep the pages out of frames and caches.
enum PageLayout {
    static let stylesheetPath = "/assets/tessera.css"

    /// A whole page in the catalog's language (`lang` on `<html>`, WCAG 2.1 SC 3.1.1): the brand in a
    /// banner landmark, the content in the main landmark.
    /// - Parameters:
    ///   - title: the page's title and heading text.
    ///   - body: the content of `<main>`.
    ///   - m: the language.
    /// - Returns: the document.
    static func page(title: String, body: HTML, _ m: MessageCatalog) -> HTML {
        """
        <!doctype html>
        <html lang="\(m.language)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(m.text(.pageTitle, ["title": title]))</title>
        <link rel="stylesheet" href="\(PagePaths.link(stylesheetPath))">
        </head>
        <body>
        <header><p class="brand">\(m(.brand))</p></header>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    /// A page response with the security headers every interaction page carries.
    static func response(
        _ html: HTML,
        _ m: MessageCatalog,
        status: HTTPResponse.Status = .ok,
        headers extra: HTTPFields = [:]
    ) -> Response {
        var headers: HTTPFields = [
            .contentLanguage: m.language,
            // The page depends on Accept-Language (RFC 9110 §12.5.5).
            .vary: "Accept-Language",
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
        ]
        headers.append(contentsOf: securityHeaders)
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html.text)))
    }

    /// The fields HTTPTypes has no name for: no framing, no sniffing, no referrer.
    static let securityHeaders: HTTPFields = {
        var fields = HTTPFields()
        for (name, value) in [("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer")] {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        return fields
    }()

    /// A short page with a heading and a message (errors, expired or used interactions, done).
    /// - Parameters:
    ///   - title: the heading.
    ///   - text: the message.
    ///   - m: the language.
    ///   - status: the response status.
    ///   - kind: `info` or `error` (the section's class).
    /// - Returns: the response.
    static func message(
        _ title: MessageID,
        _ text: HTML,
        _ m: MessageCatalog,
        status: HTTPResponse.Status = .ok,
        kind: String = "info"
    ) -> Response {
        let heading = m.text(title)
        return response(
            page(title: heading, body: "<section class=\"\(kind)\"><h1>\(heading)</h1><p>\(text)</p></section>", m),
            m,
            status: status
        )
    }

    /// ``message(_:_:_:status:kind:)`` with a message of the catalog.
    /// - Parameters:
    ///   - title: the heading.
    ///   - text: the message.
    ///   - m: the language.
    ///   - status: the response status.
    ///   - kind: `info` or `error`.
    /// - Returns: the response.
    static func message(
        _ title: MessageID,
        _ text: MessageID,
        _ m: MessageCatalog,
        status: HTTPResponse.Status = .ok,
        kind: String = "info"
    ) -> Response {
        message(title, m(text), m, status: status, kind: kind)
    }

    /// Explicit colours in both schemes (never the browser's canvas, whose dark grey made the muted
    /// text 4.12:1): every text reaches WCAG 2.1 AA 4.5:1 on its background, checked by axe-core in
    /// Tests/Interop/test_browser_accessibility.py; a visible focus ring for keyboard use (SC 2.4.7).
    static let stylesheet = """
        :root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --surface: #f6f8fa; --accent: #0969da; --on-accent: #ffffff;
          --muted: #59636e; --border: #d1d9e0; --field: #6e7781; --danger: #cf222e; --tint-danger: #ffebe9; --tint-accent: #ddf4ff; }
        @media (prefers-color-scheme: dark) {
          :root { --bg: #0d1117; --fg: #e6edf3; --surface: #21262d; --accent: #58a6ff; --on-accent: #0d1117;
            --muted: #9ea7b3; --border: #3d444d; --field: #8b949e; --danger: #ff8e86; --tint-danger: #2d1517; --tint-accent: #0c2d4b; }
        }
        * { box-sizing: border-box; }
        html { background: var(--bg); color: var(--fg); }
        body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        header, main { max-width: 40rem; margin: 0 auto; padding: 0 1rem; }
        header { padding-top: 1rem; }
        main { padding-bottom: 1rem; }
        a { color: var(--accent); }
        :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; border-radius: 4px; }
        .brand { font-weight: 600; color: var(--muted); margin: 0 0 1rem; }
        h1 { font-size: 1.5rem; margin: 0 0 1rem; }
        h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
        fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }
        legend { padding: 0; font-size: 1.1rem; font-weight: 600; margin: 1rem 0 .25rem; }
        legend.note { font-size: .9rem; font-weight: 400; margin: .5rem 0 0; }
        dl.client { margin-bottom: .5rem; }
        fieldset.rights { margin-top: 1.25rem; }
        fieldset.rights > legend { margin-top: 0; }
        label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
        input[type=text], input[type=password] { width: 100%; padding: .6rem; font-size: 1rem; color: var(--fg); background: var(--bg);
          border: 1px solid var(--field); border-radius: 6px; }
        input[type=checkbox] { width: 1.1rem; height: 1.1rem; margin: 0 .4rem 0 0; vertical-align: -.15rem; accent-color: var(--accent); }
        button { font-size: 1rem; padding: .6rem 1.2rem; margin: .75rem .5rem 0 0; border-radius: 6px; border: 1px solid var(--field);
          color: var(--fg); background: var(--surface); cursor: pointer; }
        button.primary { background: var(--accent); color: var(--on-accent); border-color: var(--accent); }
        .right { border: 1px solid var(--border); border-radius: 8px; padding: .75rem; margin: .5rem 0; }
        .right label { display: inline; font-weight: 600; }
        .right dl, dl.client { margin: .5rem 0 0; display: grid; grid-template-columns: max-content 1fr; gap: .25rem .75rem; }
        .right dt, dl.client dt { color: var(--muted); }
        .right dd, dl.client dd { margin: 0; overflow-wrap: anywhere; }
        pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--surface); color: var(--fg); padding: .5rem; border-radius: 6px;
          font-size: .85rem; }
        .code { font: 600 2rem/1.2 ui-monospace, monospace; letter-spacing: .15em; }
        .error h1 { color: var(--danger); }
        .note { color: var(--muted); font-size: .9rem; }
        p.error, p.notice { border: 1px solid; border-left-width: 4px; border-radius: 6px; padding: .6rem .8rem; }
        p.error { color: var(--danger); border-color: var(--danger); background: var(--tint-danger); }
        p.notice { color: var(--fg); border-color: var(--accent); background: var(--tint-accent); }
        .greeting { font-weight: 600; }
        .asking { border: 1px solid var(--border); border-radius: 8px; padding: .6rem .8rem; }
        .actions { margin-top: 1rem; }
        .actions button.primary { font-weight: 600; padding: .7rem 1.6rem; }
        .card { border: 1px solid var(--border); border-radius: 8px; padding: .6rem .75rem; margin: .6rem 0; }
        .card.forbid { border-left: 4px solid var(--danger); }
        .card .sentence { display: inline; font-weight: 600; }
        .card .lead { margin: .4rem 0 .2rem; }
        .card ul { margin: .2rem 0; padding-left: 1.25rem; }
        .code-clause code { font: .85rem ui-monospace, monospace; overflow-wrap: anywhere; }
        .narrowing { border-left: 4px solid var(--accent); padding: .2rem .6rem; margin: .5rem 0; background: var(--tint-accent); border-radius: 4px; }
        .narrowing.refused { border-left-color: var(--danger); background: var(--tint-danger); }
        details.exact summary { cursor: pointer; color: var(--accent); margin-top: .4rem; }
        form.signed-in button { padding: .3rem .8rem; margin: 0 0 0 .25rem; font-size: .9rem; }
        """
}

extension MessageCatalogs {
    /// - Parameter request: a request for a page.
    /// - Returns: The catalog its `Accept-Language` prefers (RFC 9110 §12.5.4).
    func negotiate(_ request: Request) -> MessageCatalog { negotiate(request.headers[.acceptLanguage]) }
}
