/// The protected header of a JWS (RFC 7515 §4), with the members Tessera reads.
public struct JOSEHeader: Codable, Sendable, Hashable {
    public var alg: String
    public var kid: String?
    public var typ: String?
    public var crit: [String]?

    public init(alg: String, kid: String? = nil, typ: String? = nil, crit: [String]? = nil) {
        self.alg = alg
        self.kid = kid
        self.typ = typ
        self.crit = crit
    }
}

extension JOSEHeader {
    /// `typ` as compared: lower-cased (media types are case-insensitive, RFC 7515 §4.1.9) without ONE leading
    /// `application/`, which §4.1.9 lets a `typ` omit; `application/application/…` keeps the second and names no type
    /// Tessera knows (ninth review: every `application/` was removed). `nil` without `typ`.
    public var normalizedType: String? { typ.map(Self.normalizedType) }

    /// ``normalizedType`` of a `typ` value.
    /// - Parameter typ: a header's `typ`.
    /// - Returns: the compared form.
    public static func normalizedType(_ typ: String) -> String {
        let lowered = typ.lowercased()
        let prefix = "application/"
        // `hasPrefix`, not Foundation's `replacingOccurrences` (issue 22: it was ~1 % of a redemption).
        return lowered.hasPrefix(prefix) ? String(lowered.dropFirst(prefix.count)) : lowered
    }
}
