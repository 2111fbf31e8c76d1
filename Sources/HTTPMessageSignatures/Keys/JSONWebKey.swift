import Foundation

/// The JWK members (RFC 7517, RFC 7518 §6, RFC 8037) needed to build signing and verification keys.
struct JSONWebKey: Decodable {
    var kty: String
    var crv: String?
    var kid: String?
    var alg: String?
    var x: String?
    var y: String?
    var d: String?
    var n: String?
    var e: String?
    var p: String?
    var q: String?
    var k: String?

    init(json: [UInt8]) throws(HTTPSignatureError) {
        do {
            self = try JSONDecoder().decode(JSONWebKey.self, from: Data(json))
        } catch {
            throw HTTPSignatureError(.invalidKey, "not a JWK: \(error)")
        }
    }

    /// A base64url member, decoded.
    func bytes(_ value: String?, _ member: String) throws(HTTPSignatureError) -> [UInt8] {
        guard let value else { throw HTTPSignatureError(.invalidKey, "JWK has no \"\(member)\"") }
        guard let decoded = Base64.decodeURL(value) else {
            throw HTTPSignatureError(.invalidKey, "JWK \"\(member)\" is not base64url")
        }
        return decoded
    }

    /// The algorithm the JWK names (`alg`), checked against the key type; or the only algorithm its type allows.
    func algorithm(explicit: HTTPSignatureAlgorithm?) throws(HTTPSignatureError) -> HTTPSignatureAlgorithm {
        var fromKey: HTTPSignatureAlgorithm?
        if let alg {
            guard let mapped = HTTPSignatureAlgorithm(jwsAlgorithm: alg) ?? HTTPSignatureAlgorithm(registryName: alg) else {
                throw HTTPSignatureError(.unknownAlgorithm, "JWK alg \"\(alg)\" is not supported")
            }
            fromKey = mapped
        }
        if let explicit, let fromKey, explicit != fromKey {
            // RFC 9421 §3.2 step 6: all sources naming an algorithm must agree.
            throw HTTPSignatureError(.algorithmMismatch, "JWK alg \(fromKey) differs from requested \(explicit)")
        }
        if let chosen = explicit ?? fromKey { return chosen }
        switch (kty, crv) {
        case ("OKP", "Ed25519"): return .ed25519
        case ("EC", "P-256"): return .ecdsaP256SHA256
        case ("EC", "P-384"): return .ecdsaP384SHA384
        case ("oct", _): return .hmacSHA256
        default:
            throw HTTPSignatureError(.unknownAlgorithm, "the JWK does not determine the algorithm; pass one (e.g. RSA: PSS or v1.5)")
        }
    }
}
