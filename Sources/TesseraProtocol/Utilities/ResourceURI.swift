import Foundation

/// One spelling per audience (review round 12, K8): an http(s) `resource`, `audience` or `locations` value must be in
/// RFC 3986 §6.2.2 syntax-normal form, as the issuer already must be.
///
/// `https://PAYROLL.example/`, `HTTPS://payroll.example/`, `https://payroll.example:443/`, `https://payroll.example./`
/// and `https://payroll.example/%7E/../` name the resource `https://payroll.example/` names, and resource servers
/// that parse `aud` before comparing take them for it; the decision point compares bytes, so an owner's forbid on
/// `Resource::"https://payroll.example/"` missed them all. The URI analogue of the Unicode NFC rule (``UnicodeNFC``):
/// refused, never repaired, so the token carries the spelling the client sent and the decision was asked about.
/// Other schemes (URNs and the like) have no such normal form and are left to the callers' syntax checks.
public enum ResourceURI {
    /// What a refusal says about the rule, for error descriptions.
    public static let rule =
        "must be in RFC 3986 normal form: lowercase scheme and host, no default port, no trailing dot in the host, no '.' or '..' path segments, no empty path segment ('//') or empty query ('?' alone), no percent-encoded unreserved characters (RFC 3986 §6.2.2)"

    /// Whether `text`, if an http or https URI, is in syntax-normal form.
    /// - Parameter text: the value as sent.
    /// - Returns: `false` for an http(s) URI with another spelling of the same resource; `true` otherwise.
    public static func isNormal(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme else { return true }
        let lowered = scheme.lowercased()
        guard lowered == "http" || lowered == "https" else { return true }
        guard scheme == lowered, let host = components.host, host == host.lowercased(), !host.hasSuffix(".") else { return false }
        if components.port == (lowered == "https" ? 443 : 80) { return false }
        let segments = components.percentEncodedPath.split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return false }
        // `…/admin//` and `…/admin/?` are `…/admin/` to routers that collapse slashes and to URL libraries that drop an
        // empty query (review round 13, L8).
        if components.percentEncodedPath.contains("//") || components.percentEncodedQuery == "" { return false }
        return !encodesUnreserved(text)
    }

    /// Whether a `%XX` in `text` encodes an unreserved character (ALPHA, DIGIT, `-`, `.`, `_`, `~`; RFC 3986 §2.3).
    private static func encodesUnreserved(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index + 2 < bytes.count {
            defer { index += 1 }
            guard bytes[index] == UInt8(ascii: "%"), let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) else { continue }
            let decoded = Unicode.Scalar(high << 4 | low)
            if ("0"..."9").contains(decoded) || ("A"..."Z").contains(decoded) || ("a"..."z").contains(decoded)
                || "-._~".unicodeScalars.contains(decoded)
            {
                return true
            }
        }
        return false
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
