/// The parts of a request's target URI that derived components use (RFC 9421 §2.2, RFC 9110 §7.1).
///
/// Values are sliced from the bytes as sent: nothing is decoded or re-encoded, because RFC 9421 §2.2.6 and §2.2.7
/// sign the path and query exactly as they appear. All scanning is on UTF-8 bytes (the delimiters are ASCII), which
/// keeps this off the per-request hot path's profile.
struct TargetURI {
    var scheme: String
    var authority: String
    /// The path, possibly empty.
    var path: Substring
    /// The query without `?`, or `nil` if there is none.
    var query: Substring?
    /// Whether the request target was in absolute-form (then it *is* the target URI).
    private var absoluteTarget: String?

    /// Origin-form request target: path, plus `?query` if present.
    var originForm: String {
        let pathPart = path.isEmpty ? "/" : String(path)
        guard let query else { return pathPart }
        return pathPart + "?" + query
    }

    /// Parses an absolute URI `scheme://authority[/path][?query][#fragment]`. The fragment is dropped (RFC 9110
    /// §7.1); userinfo is dropped because it is never part of `Host`.
    init?(absolute uri: String) {
        let bytes = uri.utf8
        guard let separator = Self.schemeSeparator(uri) else { return nil }
        let scheme = uri[uri.startIndex..<separator.lowerBound]
        guard let first = scheme.utf8.first, StructuredFieldParser.isAlpha(first),
            scheme.utf8.allSatisfy({
                StructuredFieldParser.isAlpha($0) || StructuredFieldParser.isDigit($0) || $0 == UInt8(ascii: "+")
                    || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            })
        else { return nil }
        let end = bytes[separator.upperBound...].firstIndex(of: UInt8(ascii: "#")) ?? uri.endIndex
        let rest = uri[separator.upperBound..<end]
        let authorityEnd = rest.utf8.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? rest.endIndex
        var authority = rest[rest.startIndex..<authorityEnd]
        if let at = authority.utf8.lastIndex(of: UInt8(ascii: "@")) { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty else { return nil }
        let pathAndQuery = rest[authorityEnd...]
        self.scheme = HTTPSignatureField.lowercased(String(scheme))
        self.authority = String(authority)
        if let questionMark = pathAndQuery.utf8.firstIndex(of: UInt8(ascii: "?")) {
            self.path = pathAndQuery[..<questionMark]
            self.query = pathAndQuery[pathAndQuery.index(after: questionMark)...]
        } else {
            self.path = pathAndQuery
            self.query = nil
        }
        self.absoluteTarget = nil
    }

    /// Builds the target URI from a request's scheme, authority and request target (RFC 9110 §7.1).
    init(scheme: String, authority: String, requestTarget target: String) {
        if target.utf8.first == UInt8(ascii: "/") {
            self.scheme = HTTPSignatureField.lowercased(scheme)
            self.authority = authority
            if let questionMark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
                self.path = target[..<questionMark]
                self.query = target[target.index(after: questionMark)...]
            } else {
                self.path = target[...]
                self.query = nil
            }
            self.absoluteTarget = nil
        } else if Self.schemeSeparator(target) != nil, var absolute = TargetURI(absolute: target) {
            absolute.absoluteTarget = target
            self = absolute
        } else {
            // authority-form (CONNECT) and asterisk-form (OPTIONS *): no path, no query.
            self.scheme = HTTPSignatureField.lowercased(scheme)
            self.authority = authority
            self.path = ""
            self.query = nil
            self.absoluteTarget = nil
        }
    }

    /// Appends `@target-uri` (RFC 9421 §2.2.2).
    func appendTargetURI(requestTarget: String, to out: inout [UInt8]) {
        if let absoluteTarget {
            out.append(contentsOf: absoluteTarget.utf8)
            return
        }
        out.append(contentsOf: scheme.utf8)
        out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "/")])
        out.append(contentsOf: authority.utf8)
        if requestTarget.utf8.first == UInt8(ascii: "/") { out.append(contentsOf: requestTarget.utf8) }
    }

    /// Appends `@target-uri` for an origin-form request target (`/path?query`) straight from the request's control
    /// data: the same bytes as ``appendTargetURI(requestTarget:to:)`` without building a ``TargetURI``.
    static func appendOriginFormTargetURI(scheme: String, authority: String, target: String, to out: inout [UInt8]) {
        for byte in scheme.utf8 {
            out.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
        }
        out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "/")])
        out.append(contentsOf: authority.utf8)
        out.append(contentsOf: target.utf8)
    }

    /// Appends `@authority` (RFC 9421 §2.2.3): lower-cased host, default port removed (RFC 9110 §4.2.3).
    func appendNormalizedAuthority(to out: inout [UInt8]) {
        let bytes = authority.utf8
        var end = bytes.endIndex
        if let colon = bytes.lastIndex(of: UInt8(ascii: ":")), !bytes[colon...].contains(UInt8(ascii: "]")) {
            let port = bytes[bytes.index(after: colon)...]
            let isDefault: Bool =
                switch scheme {
                case "https", "wss": port.elementsEqual("443".utf8)
                case "http", "ws": port.elementsEqual("80".utf8)
                default: false
                }
            if port.isEmpty || isDefault { end = colon }
        }
        for byte in bytes[..<end] {
            out.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
        }
    }

    /// `@path` (RFC 9421 §2.2.6): an empty path is `/`.
    var normalizedPath: Substring { path.isEmpty ? "/" : path }

    /// Appends `@query` (RFC 9421 §2.2.7): `?` plus the query, or `?` alone when there is none.
    func appendQuery(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "?"))
        if let query { out.append(contentsOf: query.utf8) }
    }

    /// The range of the first `://` in `string`, if any.
    static func schemeSeparator(_ string: String) -> Range<String.Index>? {
        let bytes = string.utf8
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: ":") {
                let slash1 = bytes.index(after: index)
                if slash1 < bytes.endIndex, bytes[slash1] == UInt8(ascii: "/") {
                    let slash2 = bytes.index(after: slash1)
                    if slash2 < bytes.endIndex, bytes[slash2] == UInt8(ascii: "/") {
                        return index..<bytes.index(after: slash2)
                    }
                }
            }
            index = bytes.index(after: index)
        }
        return nil
    }
}
