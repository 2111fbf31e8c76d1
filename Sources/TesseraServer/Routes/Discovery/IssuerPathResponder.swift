import Foundation
import HTTPTypes
public import Hummingbird

/// Serves an issuer whose identifier has a path component (`https://host/tenant1`) where clients
/// look for it, in front of the router:
///
/// - every endpoint below the issuer's path (`/tenant1/token`, `/tenant1/authorize`, …): the
///   metadata names them there (RFC 8414 §2: endpoints are derived from the issuer), so the path
///   is taken off before routing; the same endpoints stay reachable at the root, as before;
/// - the metadata at the RFC 8414 §3.1 location, the well-known path inserted between host and
///   issuer path (`/.well-known/oauth-authorization-server/tenant1`), and at the OpenID Connect
///   Discovery §4 location (`/tenant1/.well-known/openid-configuration`, by the rule above), plus
///   `/.well-known/openid-configuration/tenant1`, the second location MCP clients try (MCP
///   authorization 2026-07-28, "Authorization Server Metadata Discovery").
///
/// Another path under a well-known name (`/.well-known/oauth-authorization-server/tenant2`) is
/// not this issuer's and stays 404. The request target as the client sent it is kept in
/// ``TesseraRequestContext/requestTarget``, because signatures cover it (RFC 9421 `@target-uri`).
/// The pages learn the issuer's path from here (``PagePaths``) to link below it.
public struct IssuerPathResponder: HTTPResponder {
    public typealias Context = TesseraRequestContext

    let inner: RouterResponder<TesseraRequestContext>
    /// The issuer's path without a trailing slash (`/tenant1`), empty when the issuer has none.
    let issuerPath: String

    /// - Parameters:
    ///   - inner: the router's responder.
    ///   - issuer: the issuer identifier; only its path is used.
    init(_ inner: RouterResponder<TesseraRequestContext>, issuer: String) {
        self.inner = inner
        var path = Self.path(of: issuer)
        while path.hasSuffix("/") { path.removeLast() }
        self.issuerPath = path
    }

    /// The well-known metadata names whose path-inserted form (RFC 8414 §3.1) is answered.
    static let wellKnown = ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]

    public func respond(to request: Request, context: TesseraRequestContext) async throws -> Response {
        // An issuer without a path (the common case) routes every request unchanged and its pages link
        // from the root, the task-local's default: no binding on the hot path.
        guard !issuerPath.isEmpty else { return try await inner.respond(to: request, context: context) }
        // The pages link below the issuer's path however the request reached them (PagePaths).
        return try await PagePaths.$issuerPath.withValue(issuerPath) {
            guard let path = request.head.path, let routed = routedPath(path) else {
                return try await inner.respond(to: request, context: context)
            }
            var head = request.head
            head.path = routed
            var context = context
            context.requestTarget = path
            return try await inner.respond(to: Request(head: head, body: request.body), context: context)
        }
    }

    /// The target to route for `target` (path and query), or `nil` to route it unchanged.
    func routedPath(_ target: String) -> String? {
        let query = target.firstIndex(of: "?").map { String(target[$0...]) } ?? ""
        let path = query.isEmpty ? target : String(target[..<(target.firstIndex(of: "?") ?? target.endIndex)])
        // An issuer written with a trailing slash has its metadata at the inserted path with that slash.
        for name in Self.wellKnown where path == name + issuerPath || path == name + issuerPath + "/" {
            return name + query
        }
        if path == issuerPath { return "/" + query }
        if path.hasPrefix(issuerPath + "/") { return String(path.dropFirst(issuerPath.count)) + query }
        return nil
    }

    /// The percent-encoded path of an absolute URL (`https://host:8443/tenant1` → `/tenant1`).
    static func path(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return "" }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "" }
        return String(rest[slash...])
    }
}
