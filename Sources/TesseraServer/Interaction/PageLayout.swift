import Hummingbird
import NIOCore

/// The frame of every interaction page: no JavaScript, one small stylesheet, readable on a phone,
/// and headers that keep the pages out of frames and caches.
enum PageLayout {
    static let stylesheetPath = "/assets/tessera.css"

    static func page(title: String, body: HTML) -> HTML {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(title) · Tessera</title>
        <link rel="stylesheet" href="\(stylesheetPath)">
        </head>
        <body>
        <main>
        <p class="brand">Tessera</p>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    /// A page response with the security headers every interaction page carries.
    static func response(_ html: HTML, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
            .xFrameOptions: "DENY",
            .xContentTypeOptions: "nosniff",
            .referrerPolicy: "no-referrer",
        ]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html.text)))
    }

    /// A short page with a heading and a message (errors, expired or used interactions, done).
    static func message(title: String, _ text: String, status: HTTPResponse.Status = .ok, kind: String = "info") -> Response {
        response(page(title: title, body: "<section class=\"\(kind)\"><h1>\(title)</h1><p>\(text)</p></section>"), status: status)
    }

    static let stylesheet = """
        :root { color-scheme: light dark; --accent: #1f6feb; --muted: #57606a; --border: #d0d7de; --danger: #cf222e; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
        .brand { font-weight: 600; color: var(--muted); margin: 0 0 1rem; }
        h1 { font-size: 1.5rem; margin: 0 0 1rem; }
        h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
        label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
        input[type=text], input[type=password] { width: 100%; padding: .6rem; font-size: 1rem; border: 1px solid var(--border); border-radius: 6px; }
        button { font-size: 1rem; padding: .6rem 1.2rem; margin: .75rem .5rem 0 0; border-radius: 6px; border: 1px solid var(--border); cursor: pointer; }
        button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
        .right { border: 1px solid var(--border); border-radius: 8px; padding: .75rem; margin: .5rem 0; }
        .right label { display: inline; font-weight: 600; }
        .right dl { margin: .5rem 0 0; display: grid; grid-template-columns: max-content 1fr; gap: .25rem .75rem; }
        .right dt { color: var(--muted); }
        .right dd { margin: 0; overflow-wrap: anywhere; }
        pre { white-space: pre-wrap; overflow-wrap: anywhere; background: rgba(127,127,127,.12); padding: .5rem; border-radius: 6px; font-size: .85rem; }
        .code { font: 600 2rem/1.2 ui-monospace, monospace; letter-spacing: .15em; }
        .error h1 { color: var(--danger); }
        .note { color: var(--muted); font-size: .9rem; }
        p.error, p.notice { border: 1px solid; border-left-width: 4px; border-radius: 6px; padding: .6rem .8rem; }
        p.error { color: var(--danger); border-color: var(--danger); background: rgba(207,34,46,.08); }
        p.notice { border-color: var(--accent); background: rgba(31,111,235,.08); }
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
        .narrowing { border-left: 4px solid var(--accent); padding: .2rem .6rem; margin: .5rem 0; background: rgba(31,111,235,.08); border-radius: 4px; }
        .narrowing.refused { border-left-color: var(--danger); background: rgba(207,34,46,.08); }
        details.exact summary { cursor: pointer; color: var(--accent); margin-top: .4rem; }
        @media (prefers-color-scheme: dark) {
          :root { --muted: #a8b1bb; --border: #4a525b; --accent: #58a6ff; --danger: #ff7b72; }
          button.primary { color: #0d1117; }
        }
        """
}
