import Foundation
import FuzzSupport
import TesseraProtocol

/// The parsers added for clients met on the fly and sender constraining: IP address and CIDR text
/// (the SSRF guard's allow-list and resolved addresses), `client_id` metadata URL grammar, Client ID
/// Metadata Documents and client-challenge responses (JSON from the network), and DPoP proofs
/// (a header every token request may carry), and GNAP mtls certificates (DER and PEM). Parse or refuse, never
/// crash; what parses round-trips.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)

    if let address = IPAddress(text) {
        guard let again = IPAddress(address.description), again == address else {
            fatalError("IP address round trip failed for \(address)")
        }
        _ = OutboundAddressPolicy.isSpecialUse(address)
    }
    if let network = IPNetwork(text) {
        guard network.contains(network.address) else { fatalError("a network must contain its own address: \(network)") }
        guard IPNetwork(network.description) != nil else { fatalError("network round trip failed for \(network)") }
    }
    let strict = (try? ClientIDMetadataURL.validate(text, allowHTTP: false)) != nil
    let lenient = (try? ClientIDMetadataURL.validate(text, allowHTTP: true)) != nil
    if strict && !lenient { fatalError("allowing http must not refuse an https client_id") }

    if let document = try? JSONDecoder().decode(ClientMetadataDocument.self, from: bytes) {
        guard let encoded = try? JSONEncoder().encode(document),
            (try? JSONDecoder().decode(ClientMetadataDocument.self, from: encoded)) == document
        else { fatalError("metadata document round trip failed") }
    }
    if let challenge = try? JSONDecoder().decode(InsufficientClientAuthorization.self, from: bytes) {
        guard let encoded = try? JSONEncoder().encode(challenge),
            (try? JSONDecoder().decode(InsufficientClientAuthorization.self, from: encoded))?.challengeSession == challenge.challengeSession
        else { fatalError("challenge round trip failed") }
    }
    // GNAP `mtls` certificates (RFC 9635 §7.3.2): DER from TLS or an RFC 9440 `Client-Cert` field, PEM from a
    // client's `cert` key. Whatever parses re-parses from its own PEM to the same certificate.
    if let certificate = try? GNAPCertificate(der: Array(bytes)) {
        guard let again = try? GNAPCertificate(pem: certificate.pem), again == certificate else {
            fatalError("certificate PEM round trip failed")
        }
    }
    if let certificate = try? GNAPCertificate(pem: text) {
        guard certificate.thumbprint == GNAPCertificate.thumbprint(of: certificate.der) else { fatalError("thumbprint mismatch") }
    }
    if size <= CompactJWS.maximumSize {
        _ = fuzzBlocking {
            try await DPoPProofVerifier().verify(
                text,
                method: "POST",
                uri: "https://as.example/token",
                now: Date(timeIntervalSince1970: 1_800_000_000)
            )
        }
    }
    return 0
}

@main enum OAuthExtensionsFuzzMain {
    static func main() { runLibFuzzer(fuzzOne) }
}
