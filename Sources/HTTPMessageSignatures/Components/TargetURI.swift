import Foundation

/// The parts of a request's target URI that derived components use (RFC 9421 §2.2, RFC 9110 §7.1).
///
/// Values are sliced from the bytes as sent: nothing is decoded or re-encoded, because RFC 9421 §2.2.6 and §2.2.7
/// sign the path and query exactly as they appear.
struct TargetURI {
    var scheme: String
    var authority: String
    /// The path, possibly empty.
    var path: Substring
    /// The query without `?`, or `nil` if there is none.
    var query: Substring?

    /// Origin-form request target: path, plus `?query` if present.
    var originForm: String {
        let pathPart = path.isEmpty ? "/" : String(path)
        guard let query else { return pathPart }
        return pathPart + "?" + query
    }

    /// Parses an absolute URI `scheme://authority[/path][?query][#fragment]`. The fragment is dropped (RFC 9110
    /// §7.1); userinfo is dropped because it is never part of `Host`.
    init?(absolute uri: String) {
        guard let schemeEnd = uri.range(of: "://") else { return nil }
        let scheme = uri[uri.startIndex..<schemeEnd.lowerBound]
        guard let first = scheme.utf8.first, StructuredFieldParser.isAlpha(first),
            scheme.utf8.allSatisfy({
                StructuredFieldParser.isAlpha($0) || StructuredFieldParser.isDigit($0) || $0 == UInt8(ascii: "+")
                    || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            })
        else { return nil }
        var rest = uri[schemeEnd.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[rest.startIndex..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty else { return nil }
        let pathAndQuery = rest[authorityEnd...]
        self.scheme = HTTPSignatureField.lowercased(String(scheme))
        self.authority = String(authority)
        if let questionMark = pathAndQuery.firstIndex(of: "?") {
            self.path = pathAndQuery[..<questionMark]
            self.query = pathAndQuery[pathAndQuery.index(after: questionMark)...]
        } else {
            self.path = pathAndQuery
            self.query = nil
        }
    }

    /// Builds the target URI of a request from its control data (RFC 9110 §7.1).
    init(request: HTTPSignatureRequest) {
        let target = request.requestTarget
        if target.hasPrefix("/") {
            self.scheme = HTTPSignatureField.lowercased(request.scheme)
            self.authority = request.authority
            if let questionMark = target.firstIndex(of: "?") {
                self.path = target[..<questionMark]
                self.query = target[target.index(after: questionMark)...]
            } else {
                self.path = target[...]
                self.query = nil
            }
        } else if target.contains("://"), let absolute = TargetURI(absolute: target) {
            self = absolute
        } else {
            // authority-form (CONNECT) and asterisk-form (OPTIONS *): no path, no query.
            self.scheme = HTTPSignatureField.lowercased(request.scheme)
            self.authority = request.authority
            self.path = ""
            self.query = nil
        }
    }

    /// `@target-uri` (RFC 9421 §2.2.2).
    func targetURI(request: HTTPSignatureRequest) -> String {
        if request.requestTarget.contains("://") && !request.requestTarget.hasPrefix("/") { return request.requestTarget }
        if !request.requestTarget.hasPrefix("/") { return scheme + "://" + authority }
        return scheme + "://" + authority + request.requestTarget
    }

    /// `@authority` (RFC 9421 §2.2.3): lower-cased host, default port removed (RFC 9110 §4.2.3).
    var normalizedAuthority: String {
        let lower = HTTPSignatureField.lowercased(authority)
        let defaultPort: Substring? =
            switch scheme {
            case "https", "wss": "443"
            case "http", "ws": "80"
            default: nil
            }
        guard let colon = lower.lastIndex(of: ":"), !lower[colon...].contains("]") else { return lower }
        let port = lower[lower.index(after: colon)...]
        if port.isEmpty || port == defaultPort { return String(lower[..<colon]) }
        return lower
    }

    /// `@path` (RFC 9421 §2.2.6): an empty path is `/`.
    var normalizedPath: Substring { path.isEmpty ? "/" : path }

    /// `@query` (RFC 9421 §2.2.7): `?` plus the query, or `?` alone when there is none.
    var queryComponent: String { "?" + (query ?? "") }
}
