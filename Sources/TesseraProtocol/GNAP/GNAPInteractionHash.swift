import Crypto
import Foundation

/// The interaction hash (RFC 9635 §4.2.3): the client nonce, the AS nonce, the interaction reference
/// and the grant endpoint URI joined by single LFs (no trailing LF), hashed with `hash_method`
/// (`sha-256` when absent) and base64url-encoded without padding. It binds the front-channel
/// callback to the nonces only the client and AS know and to the AS's identity (RFC 9635 §11.25).
public enum GNAPInteractionHash {
    /// The hash methods Tessera computes (names from the IANA Named Information Hash Algorithm Registry).
    public static let supportedMethods = ["sha-256", "sha-384", "sha-512"]

    /// - Returns: the hash, or `nil` for a hash method not in ``supportedMethods``.
    public static func compute(
        clientNonce: String,
        serverNonce: String,
        interactRef: String,
        grantEndpoint: String,
        method: String? = nil
    ) -> String? {
        let base = Data([clientNonce, serverNonce, interactRef, grantEndpoint].joined(separator: "\n").utf8)
        switch method ?? "sha-256" {
        case "sha-256": return Base64URL.encode(SHA256.hash(data: base))
        case "sha-384": return Base64URL.encode(SHA384.hash(data: base))
        case "sha-512": return Base64URL.encode(SHA512.hash(data: base))
        default: return nil
        }
    }

    /// Whether `presented` is the hash of these inputs, compared in constant time.
    public static func verify(
        _ presented: String,
        clientNonce: String,
        serverNonce: String,
        interactRef: String,
        grantEndpoint: String,
        method: String? = nil
    ) -> Bool {
        guard
            let expected = compute(
                clientNonce: clientNonce,
                serverNonce: serverNonce,
                interactRef: interactRef,
                grantEndpoint: grantEndpoint,
                method: method
            )
        else { return false }
        return ConstantTime.equals(Array(expected.utf8), Array(presented.utf8))
    }
}
