import Crypto
import Foundation

/// A public JSON Web Key (RFC 7517 §4) with the members Tessera publishes and reads.
public struct PublicJWK: Codable, Sendable, Hashable {
    public var kty: String
    public var crv: String?
    public var x: String?
    public var y: String?
    public var n: String?
    public var e: String?
    public var kid: String?
    public var alg: String?
    public var use: String?

    public init(
        kty: String,
        crv: String? = nil,
        x: String? = nil,
        y: String? = nil,
        n: String? = nil,
        e: String? = nil,
        kid: String? = nil,
        alg: String? = nil,
        use: String? = nil
    ) {
        self.kty = kty
        self.crv = crv
        self.x = x
        self.y = y
        self.n = n
        self.e = e
        self.kid = kid
        self.alg = alg
        self.use = use
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url): required members only, in lexicographic order.
    /// - Throws: ``JOSEError`` `invalidKey` when a required member is missing.
    public func thumbprint() throws(JOSEError) -> String {
        for member in [crv, x, y, n, e] {
            guard let member else { continue }
            guard !member.isEmpty, member.utf8.allSatisfy({ Self.isSafeMemberByte($0) }) else {
                throw JOSEError(.invalidKey, "a key member holds characters a JWK never has")
            }
        }
        let canonical: String
        switch kty {
        case "EC":
            guard let crv, let x, let y else { throw JOSEError(.invalidKey, "an EC key needs crv, x and y") }
            canonical = #"{"crv":"\#(crv)","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        case "OKP":
            guard let crv, let x else { throw JOSEError(.invalidKey, "an OKP key needs crv and x") }
            canonical = #"{"crv":"\#(crv)","kty":"OKP","x":"\#(x)"}"#
        case "RSA":
            guard let n, let e else { throw JOSEError(.invalidKey, "an RSA key needs n and e") }
            canonical = #"{"e":"\#(e)","kty":"RSA","n":"\#(n)"}"#
        default:
            throw JOSEError(.invalidKey, "unsupported key type '\(kty)'")
        }
        return Base64URL.encode(SHA256.hash(data: Data(canonical.utf8)))
    }

    /// base64url characters, plus `-` already included, for curve names like `P-256`.
    private static func isSafeMemberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}

/// A JWK Set (RFC 7517 §5).
public struct PublicJWKSet: Codable, Sendable, Hashable {
    public var keys: [PublicJWK]
    public init(keys: [PublicJWK]) { self.keys = keys }
}
