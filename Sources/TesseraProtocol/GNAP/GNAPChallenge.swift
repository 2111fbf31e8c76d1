import Foundation

/// A `WWW-Authenticate: GNAP …` challenge for RS-first discovery (RFC 9635 §9.1).
///
/// ``headerValue`` emits the RFC's own form, `GNAP as_uri=<uri>;access=<ref>;referrer=<uri>`; ``init(parsing:)``
/// accepts that form and the RFC 9110 auth-param form (`,` separators, quoted values).
public struct GNAPChallenge: Sendable, Hashable {
    /// The grant endpoint of the AS the client should ask.
    public var asURI: String?
    /// An opaque access reference (e.g. an RFC 9767 `resource_reference`) enough for the attempted action.
    public var access: String?
    /// The RS URI, which the client sends as `Referer` with its grant request.
    public var referrer: String?

    public init(asURI: String?, access: String? = nil, referrer: String? = nil) {
        self.asURI = asURI
        self.access = access
        self.referrer = referrer
    }

    /// The `WWW-Authenticate` field value.
    public var headerValue: String {
        var parameters: [String] = []
        if let asURI { parameters.append("as_uri=\(Self.quotedIfNeeded(asURI))") }
        if let access { parameters.append("access=\(Self.quotedIfNeeded(access))") }
        if let referrer { parameters.append("referrer=\(Self.quotedIfNeeded(referrer))") }
        return parameters.isEmpty ? "GNAP" : "GNAP " + parameters.joined(separator: ";")
    }

    /// Parses a `WWW-Authenticate` value whose scheme is `GNAP` (case-insensitive); `nil` for another scheme.
    public init?(parsing value: String) {
        var rest = Substring(value).drop { $0 == " " }
        guard rest.count >= 4, rest.prefix(4).lowercased() == "gnap" else { return nil }
        rest = rest.dropFirst(4)
        guard rest.isEmpty || rest.first == " " || rest.first == "," else { return nil }
        var parameters: [String: String] = [:]
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," || $0 == ";" }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let name = rest[..<equals].trimmingSpaces().lowercased()
            rest = rest[rest.index(after: equals)...].drop { $0 == " " }
            var parsed = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        parsed.append(character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        parsed.append(character)
                    }
                }
            } else {
                let end = rest.firstIndex { $0 == ";" || $0 == "," } ?? rest.endIndex
                parsed = String(rest[..<end]).trimmingSpaces()
                rest = rest[end...]
            }
            if parameters[name] == nil { parameters[name] = parsed }
        }
        self.init(asURI: parameters["as_uri"], access: parameters["access"], referrer: parameters["referrer"])
    }

    private static func quotedIfNeeded(_ value: String) -> String {
        let plain = value.allSatisfy { $0.isASCII && $0 != " " && $0 != "," && $0 != ";" && $0 != "\"" && $0 != "\\" && !$0.isWhitespace }
        if plain, !value.isEmpty { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
