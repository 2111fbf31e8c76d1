public import Foundation

/// The claims of a JWT (RFC 7519 §4) read as an open JSON object, for tokens whose members vary
/// by issuer: subject tokens from other issuers, JWT authorization grants from peer domains.
public struct JWTClaimSet: Sendable, Hashable {
    /// The registered and protocol claims a transcription never copies as an extra claim.
    public static let protocolClaims: Set<String> = [
        "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "azp", "scope", "scp", "act", "may_act", "cnf",
        "requested_cnf", "access", "authorization_details", "nonce", "at_hash", "c_hash", "auth_time", "acr", "amr", "sid",
    ]

    /// The claims compared with configured values or request parameters (``protocolClaims`` and an ID-JAG's
    /// `resource`), which must be in Unicode Normalization Form C.
    static let comparedClaims = protocolClaims.union(["resource"])

    public let values: [String: JSONValue]

    public init(_ values: [String: JSONValue]) { self.values = values }

    /// Decodes a JWS payload: another issuer's, whose claims are compared with configured values and request
    /// parameters, which are NFC. A compared claim (``comparedClaims``) holding text not in Unicode Normalization Form C
    /// is refused: Swift's `==` would match `\u{212A}iosk` (KELVIN SIGN) to the client `Kiosk`, and an ID-JAG's
    /// `resource` to another resource, where RFC 7519 §4.1 and RFC 8259 §8.3 compare code points (``UnicodeNFC``).
    /// Other claims (a person's `name`) are only carried, and may be in any form.
    /// - Parameter payload: The JWS payload.
    /// - Throws: ``JOSEError`` `malformed` when the payload is not a JSON object, or a compared claim is not NFC.
    public init(payload: Data) throws(JOSEError) {
        var asciiText = false
        guard case .object(let values)? = JSONValue.parse(payload, asciiText: &asciiText) else {
            throw JOSEError(.malformed, "the JWT claims are not a JSON object")
        }
        // ASCII claims (nearly every token) are NFC: the walk is for the rest only.
        if !asciiText,
            let name = values.lazy.filter({ Self.comparedClaims.contains($0.key) && !UnicodeNFC.isNormalized($0.value) }).map(\.key).min()
        {
            throw JOSEError(.malformed, "its '\(name)' claim \(UnicodeNFC.rule)")
        }
        self.values = values
    }

    public subscript(name: String) -> JSONValue? { values[name] }

    /// A string claim; `nil` when absent or not a string.
    public func string(_ name: String) -> String? { values[name]?.stringValue }

    /// A NumericDate claim (RFC 7519 §2) as whole seconds; `nil` when absent or not a number.
    public func numericDate(_ name: String) -> Int? {
        guard case .number(let value) = values[name], value.isFinite, abs(value) < 1e12 else { return nil }
        return Int(value.rounded(.down))
    }

    /// The `aud` claim (RFC 7519 §4.1.3): a string or an array of strings.
    public var audience: [String] {
        switch values["aud"] {
        case .string(let value): [value]
        case .array(let items): items.compactMap(\.stringValue)
        default: []
        }
    }

    /// The scope a token carries: `scope` (RFC 8693 §4.2, space-delimited) or, failing that, an `scp` array. Each
    /// `scp` item must be one scope token of RFC 6749 §3.3's characters, as `scope` is parsed; an array with any other
    /// item is malformed and carries nothing. Taken as it came, a look-alike item (`"\u{212A}YC"`, KELVIN SIGN) was
    /// within a client's registered `KYC` by Swift's `==` while Cedar, comparing bytes, let it past a `forbid` on
    /// `Scope::"KYC"`.
    public var scope: Scope {
        if let text = string("scope"), let scope = try? Scope(parsing: text) { return scope }
        if case .array(let items) = values["scp"] {
            let tokens = items.compactMap(\.stringValue)
            guard tokens.count == items.count, tokens.allSatisfy(Scope.isScopeToken) else { return .empty }
            return Scope(tokens)
        }
        return .empty
    }

    /// A claim decoded into a `Decodable` type (for `act`, `may_act`, `requested_cnf`); `nil` when absent or malformed.
    public func decode<T: Decodable>(_ name: String, as type: T.Type) -> T? {
        guard let value = values[name], let data = try? JSONEncoder().encode(value) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }

    /// Any `Encodable` value as a ``JSONValue`` (for building claim sets).
    public static func jsonValue(_ value: some Encodable) -> JSONValue? {
        guard let data = try? JSONEncoder().encode(value) else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: data)
    }
}
