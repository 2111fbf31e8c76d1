// swift-format-ignore-file: NeverUseForceTry
// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Crypto
import Foundation
import TesseraProtocol
import TesseraTesting
import Testing

/// The `cert` key format (RFC 9635 §7.1: PEM whose header and footer are optional, whitespace allowed) and the
/// `cert#S256` / `x5t#S256` thumbprint (RFC 8705 §3.1), parsed with swift-certificates.
@Suite struct GNAPCertificateTests {
    static let certificate = try! TestCertificate.selfSigned(commonName: "parse-me")

    @Test func pemBareBase64AndWrappedBase64AreTheSameCertificate() throws {
        let der = Self.certificate.der
        let base64 = Data(der).base64EncodedString()
        let wrapped = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        for text in [Self.certificate.certificatePEM, base64, "  \n" + wrapped + "\n", "\t" + base64 + " "] {
            let parsed = try GNAPCertificate(pem: text)
            #expect(parsed.der == der)
        }
        let parsed = try GNAPCertificate(der: der)
        #expect(parsed.thumbprint == Base64URL.encodeForTests(SHA256.hash(data: der)))
        #expect(try GNAPCertificate(pem: parsed.pem) == parsed)
    }

    @Test func aKeyMatchesByCertificateOrThumbprintOnly() throws {
        let parsed = try GNAPCertificate(der: Self.certificate.der)
        let other = try GNAPCertificate(der: try TestCertificate.selfSigned(commonName: "other").der)
        #expect(parsed.matches(GNAPKey(proof: GNAPProof(method: "mtls"), cert: Self.certificate.certificatePEM)))
        #expect(parsed.matches(GNAPKey(proof: GNAPProof(method: "mtls"), certS256: parsed.thumbprint)))
        #expect(!other.matches(GNAPKey(proof: GNAPProof(method: "mtls"), cert: Self.certificate.certificatePEM)))
        #expect(!other.matches(GNAPKey(proof: GNAPProof(method: "mtls"), certS256: parsed.thumbprint)))
        #expect(!parsed.matches(GNAPKey(proof: GNAPProof(method: "mtls"), cert: "garbage")))
        #expect(!parsed.matches(GNAPKey(proof: .httpsig)))
    }

    @Test(arguments: [
        ("", "not PEM or base64 DER"),
        ("-----BEGIN CERTIFICATE-----\nMIIB", "no END line"),
        ("-----BEGIN PUBLIC KEY-----\nQUJD\n-----END PUBLIC KEY-----", "not a CERTIFICATE"),
        ("not base64 at all!", "not PEM or base64 DER"),
        ("QUJD", "not a DER-encoded X.509 certificate"),
        (String(repeating: "A", count: 40_000), "too long"),
    ])
    func garbageIsRefusedWithAReason(_ text: String, _ reason: String) {
        #expect {
            try GNAPCertificate(pem: text)
        } throws: { error in
            (error as? GNAPCertificate.ParseError)?.message.contains(reason) == true
        }
    }

    @Test func truncatedAndTrailingBytesAreRefused() throws {
        let der = Self.certificate.der
        for bytes in [Array(der.dropLast()), der + [0x00], [], Array(repeating: 0x30, count: GNAPCertificate.maximumSize + 1)] {
            #expect(throws: GNAPCertificate.ParseError.self) { try GNAPCertificate(der: bytes) }
        }
    }
}

extension Base64URL {
    /// base64url without padding, written out here so the test does not use the code under test.
    static func encodeForTests(_ digest: SHA256.Digest) -> String {
        Data(digest).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
