public import Foundation
import Synchronization

/// A JWS in compact serialization (RFC 7515 §7.1), split and decoded but not yet verified.
public struct CompactJWS: Sendable {
    /// The largest compact JWS accepted, in bytes: assertions and tokens are far smaller.
    public static let maximumSize = 16 * 1024

    public let header: JOSEHeader
    public let payload: Data
    public let signature: Data
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`: the bytes the signature covers.
    public let signingInput: Data

    /// Splits and decodes a compact JWS.
    /// - Throws: ``JOSEError`` `malformed` for anything that is not three base64url parts with a JSON header.
    public init(parsing token: String) throws(JOSEError) {
        guard token.utf8.count <= Self.maximumSize else { throw .malformed("the JWS is larger than \(Self.maximumSize) bytes") }
        // Split on the bytes (issue 22): `split` on a `String` walks grapheme clusters, a tenth of a grant's parsing.
        let utf8 = token.utf8
        var dots: [String.Index] = []
        dots.reserveCapacity(4)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: ".") { dots.append(index) }
            index = utf8.index(after: index)
        }
        guard dots.count == 2 else {
            throw .malformed(dots.count == 4 ? "encrypted JWTs (JWE) are not accepted" : "a JWS has three dot-separated parts")
        }
        let encodedHeader = Substring(utf8[..<dots[0]])
        let encodedPayload = Substring(utf8[utf8.index(after: dots[0])..<dots[1]])
        let encodedSignature = Substring(utf8[utf8.index(after: dots[1])...])
        guard let payload = Base64URL.decode(encodedPayload), let signature = Base64URL.decode(encodedSignature) else {
            throw .malformed("a JWS part is not unpadded base64url")
        }
        self.header = try Self.header(String(encodedHeader))
        self.payload = payload
        self.signature = signature
        self.signingInput = Data(utf8[..<dots[1]])
    }

    /// Headers already decoded, by their encoded form (issue 22): a deployment sees a handful of distinct headers
    /// (one per key and type), and decoding one with `JSONDecoder` was most of the cost of parsing a JWS. Bounded,
    /// emptied when full; the header is not trusted for being here (the signature is still checked by the caller).
    private static let decodedHeaders = Mutex<[String: JOSEHeader]>([:])

    private static func header(_ encoded: String) throws(JOSEError) -> JOSEHeader {
        if let known = decodedHeaders.withLock({ $0[encoded] }) { return known }
        guard let bytes = Base64URL.decode(encoded) else { throw .malformed("a JWS part is not unpadded base64url") }
        // A repeated member (`"alg":"ES256","alg":"none"`) is refused (RFC 7515 §5.2): `JSONDecoder` keeps the first.
        guard JSONValue.parseObject(bytes) != nil else {
            throw .malformed("the JWS header is not a JSON object with unique member names")
        }
        let header: JOSEHeader
        do {
            header = try JSONDecoder().decode(JOSEHeader.self, from: bytes)
        } catch {
            throw .malformed("the JWS header is not a JSON object with a string 'alg'")
        }
        decodedHeaders.withLock { cache in
            if cache.count >= 256 { cache.removeAll(keepingCapacity: true) }
            cache[encoded] = header
        }
        return header
    }
}
