public import Foundation
import JWTKit

/// Signs compact JWS with one private key (RFC 7515 §5.1).
///
/// The header is fixed per signer and type, so signing a token costs one JSON encoding of the
/// payload plus the signature.
public struct JWSSigner: Sendable {
    public let kid: String
    public let algorithm: JWSAlgorithm
    private let key: any JWTAlgorithm

    /// Creates a signer from a private JWK (JSON text with `d`).
    /// - Throws: ``JOSEError`` `invalidKey` when the JWK is not a usable private key for `algorithm`.
    public init(privateJWK json: String, kid: String, algorithm: JWSAlgorithm) async throws(JOSEError) {
        do {
            var jwk = try JWK(json: json)
            jwk.keyIdentifier = JWKIdentifier(string: kid)
            jwk.algorithm = JWK.Algorithm(rawValue: algorithm.rawValue)
            let collection = JWTKeyCollection()
            try await collection.add(jwk: jwk)
            self.key = try await collection.getKey(for: JWKIdentifier(string: kid), alg: algorithm.rawValue)
        } catch {
            throw JOSEError(.invalidKey, "the private key \(kid) cannot sign with \(algorithm)")
        }
        self.kid = kid
        self.algorithm = algorithm
    }

    /// Signs `payload` (already-encoded JSON) under a header with this signer's `alg`, `kid` and the given `typ`.
    public func sign(payload: Data, type: String?) throws(JOSEError) -> String {
        var header = #"{"alg":"\#(algorithm.rawValue)","kid":"\#(kid)""#
        if let type { header += #","typ":"\#(type)""# }
        header += "}"
        let signingInput = Base64URL.encode(Data(header.utf8)) + "." + Base64URL.encode(payload)
        do {
            let signature = try key.sign(Data(signingInput.utf8))
            return signingInput + "." + Base64URL.encode(signature)
        } catch {
            throw JOSEError(.invalidKey, "signing with key \(kid) failed")
        }
    }

    /// Signs an `Encodable` payload as JSON.
    public func sign(_ payload: some Encodable, type: String?) throws(JOSEError) -> String {
        // Member order in a JWT payload carries no meaning (RFC 7519 §7.2 decodes it as a JSON object), so the
        // keys are not sorted: sorting cost a few percent of a GNAP grant, which signs two tokens.
        // Access tokens have a hand-written JSON form (``JSONOutputWritable``), much cheaper than JSONEncoder.
        if let writable = payload as? any JSONOutputWritable, let bytes = try? writable.jsonBytes() {
            return try sign(payload: Data(bytes), type: type)
        }
        // Open claim sets (authorization grants, ID-JAGs): ``JSONOutput`` writes a ``JSONValue`` as it encodes (issue 22).
        if let members = payload as? [String: JSONValue] {
            var out = JSONOutput()
            if (try? out.object(members)) != nil { return try sign(payload: Data(out.bytes), type: type) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            return try sign(payload: try encoder.encode(payload), type: type)
        } catch let error as JOSEError {
            throw error
        } catch {
            throw JOSEError(.malformed, "the payload could not be encoded")
        }
    }
}
