import Crypto
import Foundation
import SwiftASN1
import X509

/// An X.509 certificate that a GNAP `mtls` key is presented as (RFC 9635 §7.1 `cert`, §7.3.2), and its
/// SHA-256 thumbprint, the `cert#S256` key format and the `x5t#S256` token confirmation (RFC 8705 §3.1).
///
/// Trust does not come from a CA: the GNAP key binding is the trust (self-signed certificates are the
/// norm), so this checks only that the bytes are one well-formed certificate.
public struct GNAPCertificate: Sendable, Hashable {
    /// The DER encoding, as presented.
    public let der: [UInt8]
    /// base64url (unpadded) SHA-256 of ``der`` (RFC 8705 §3.1).
    public let thumbprint: String

    /// Why bytes or text are not a certificate; ``message`` is safe to show a client.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Certificates larger than this are refused before parsing (a real one is 0.5–4 KiB).
    public static let maximumSize = 16 * 1024

    /// Parses a DER certificate.
    /// - Throws: ``ParseError`` when the bytes are not exactly one X.509 certificate.
    public init(der: [UInt8]) throws(ParseError) {
        guard !der.isEmpty else { throw ParseError("the certificate is empty") }
        guard der.count <= Self.maximumSize else { throw ParseError("the certificate is larger than \(Self.maximumSize) bytes") }
        do {
            _ = try Certificate(derEncoded: der)
        } catch {
            throw ParseError("not a DER-encoded X.509 certificate")
        }
        self.der = der
        self.thumbprint = Self.thumbprint(of: der)
    }

    /// Parses the `cert` key format (RFC 9635 §7.1): PEM, where the BEGIN/END lines are optional and
    /// whitespace is allowed (RFC 7468), so bare base64 DER is accepted too.
    /// - Throws: ``ParseError`` for anything else.
    public init(pem text: String) throws(ParseError) {
        guard text.utf8.count <= Self.maximumSize * 2 else { throw ParseError("the certificate text is too long") }
        var body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----"
        if body.hasPrefix(begin) {
            guard body.hasSuffix(end) else { throw ParseError("the PEM certificate has a BEGIN line but no END line") }
            body = String(body.dropFirst(begin.count).dropLast(end.count))
        } else if body.hasPrefix("-----") {
            throw ParseError("the PEM block is not a CERTIFICATE")
        }
        let base64 = body.filter { !$0.isWhitespace }
        guard !base64.isEmpty, let data = Data(base64Encoded: base64) else {
            throw ParseError("the certificate is not PEM or base64 DER (RFC 7468)")
        }
        try self.init(der: Array(data))
    }

    /// The certificate as PEM (RFC 7468), the form sent as a GNAP `cert`.
    public var pem: String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n"
    }

    /// base64url SHA-256 of DER bytes (RFC 8705 §3.1 `x5t#S256`).
    public static func thumbprint(of der: [UInt8]) -> String {
        Base64URL.encode(SHA256.hash(data: der))
    }

    /// Whether this certificate is the one `key` names, by `cert` or `cert#S256` (RFC 9635 §7.3.2).
    /// Thumbprints are compared in constant time.
    public func matches(_ key: GNAPKey) -> Bool {
        let expected: String
        if let cert = key.cert {
            guard let named = try? GNAPCertificate(pem: cert) else { return false }
            expected = named.thumbprint
        } else if let certS256 = key.certS256 {
            expected = certS256
        } else {
            return false
        }
        return ConstantTime.equals(Array(expected.utf8), Array(thumbprint.utf8))
    }
}
