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
