import Foundation
import FuzzSupport
import TesseraProtocol

/// Compact JWS splitting and header decoding, JWK / JWK Set decoding, RFC 7638 thumbprints and building a verifier
/// from an untrusted JWK Set (what `jwks` / `jwks_uri` client metadata feeds in), then verifying a JWS with it.
///
/// Input: the whole buffer is tried as a compact JWS and as a JWK Set; split at the first newline it is a JWK Set and
/// a JWS verified against it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? CompactJWS(parsing: text)
    _ = try? JSONDecoder().decode(JOSEHeader.self, from: bytes)
    if let key = try? JSONDecoder().decode(PublicJWK.self, from: bytes) { _ = try? key.thumbprint() }

    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    let setBytes = bytes[bytes.startIndex..<newline]
    let token = newline < bytes.endIndex ? String(decoding: bytes[(newline + 1)...], as: UTF8.self) : Harness.token
    guard let set = try? JSONDecoder().decode(PublicJWKSet.self, from: setBytes) else { return 0 }
    for key in set.keys { _ = try? key.thumbprint() }
    let jws = try? CompactJWS(parsing: token)
    _ = fuzzBlocking {
        let verifier = try await JWSVerifier(keys: set)
        if let jws { _ = try? verifier.verify(jws, expectedType: "JWT") }
        return true
    }
    return 0
}

enum Harness {
    /// A well-formed ES256 JWS (signature bytes arbitrary), so key-set inputs reach signature verification.
    static let token =
        "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJjIiwic3ViIjoiYyJ9."
        + String(repeating: "A", count: 86)
}

@main enum JOSEFuzzMain {
    static func main() { runLibFuzzer(fuzzOne) }
}
