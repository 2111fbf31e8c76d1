import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Drives Tessera's interaction pages over HTTP the way a browser would — one cookie, forms with
/// their CSRF token, no redirects followed — for `tessera demo gnap --auto-approve` and the
/// end-to-end tests. Not a public API.
package actor InteractionPageDriver {
    package struct Page: Sendable {
        package let status: Int
        package let location: String?
        package let body: String
        package let headers: [(String, String)]

        /// The CSRF token of the page's first form.
        package var csrf: String? { Self.hidden("csrf", in: body) }

        package static func hidden(_ name: String, in html: String) -> String? {
            guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
            let rest = html[range.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { return nil }
            return String(rest[..<end])
        }
    }

    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(30))
        )
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    package let base: String
    package private(set) var cookie: String?

    package init(base: String) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    package func get(_ path: String) async throws -> Page {
        try await send(.GET, path, form: nil)
    }

    package func post(_ path: String, form: [(String, String)]) async throws -> Page {
        try await send(.POST, path, form: form)
    }

    /// Signs in through `/signin` (GET for the form's CSRF token, then POST). - Returns: the POST's answer.
    @discardableResult
    package func signIn(username: String, password: String, next: String = "/device") async throws -> Page {
        let form = try await get("/signin?next=" + Self.encode(next))
        return try await post("/signin", form: [("csrf", form.csrf ?? ""), ("next", next), ("username", username), ("password", password)])
    }

    /// Enters a user code on `/device`. - Returns: the answer (303 to the consent page when the code is good).
    package func enterUserCode(_ code: String) async throws -> Page {
        let form = try await get("/device")
        return try await post("/device", form: [("csrf", form.csrf ?? ""), ("user_code", code)])
    }

    /// Opens a consent page and submits `decision` (`approve`, `approve_all` or `deny`) with the ticked
    /// rights and the digest of the rights the page showed (a decision is about those rights only).
    package func decide(consentPath: String, decision: String, rights: [String]? = nil) async throws -> Page {
        let page = try await get(consentPath)
        var form = [
            ("csrf", page.csrf ?? ""), ("rights_digest", Page.hidden("rights_digest", in: page.body) ?? ""), ("decision", decision),
        ]
        for right in rights ?? [] { form.append(("right", right)) }
        return try await post(consentPath, form: form)
    }

    private func send(_ method: HTTPMethod, _ path: String, form: [(String, String)]?) async throws -> Page {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : base + path)
        request.method = method
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")))
        }
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        for setCookie in response.headers["Set-Cookie"] {
            let pair = setCookie.split(separator: ";").first.map(String.init) ?? ""
            cookie = setCookie.contains("Max-Age=0") ? nil : pair
        }
        return Page(
            status: Int(response.status.code),
            location: response.headers.first(name: "Location"),
            body: String(buffer: body),
            headers: response.headers.map { ($0.name, $0.value) }
        )
    }

    package static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
