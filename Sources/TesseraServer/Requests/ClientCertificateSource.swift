import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOSSL
import TesseraEngine
import TesseraProtocol

/// Where a request's client certificate comes from, for the GNAP `mtls` proof (RFC 9635 §7.3.2):
///
/// - from a **trusted TLS-terminating proxy** (the TCP peer is inside `trusted_proxies`): only its
///   RFC 9440 `Client-Cert` field, a Structured Field byte sequence of the DER certificate;
/// - otherwise from **this server's TLS handshake** (`tls.client_certificates: optional`).
///
/// A `Client-Cert` field from any other peer is refused, never ignored silently: anyone can write
/// that header, so believing it would let a caller claim any certificate (docs/SECURITY.md).
struct ClientCertificateSource: Sendable {
    /// Whether the TLS handshake asks for client certificates.
    var fromTLS = false
    /// Peers whose `Client-Cert` is believed.
    var trustedProxies: [IPNetwork] = []

    /// The `Client-Cert` field (RFC 9440 §2.2); a literal token, so the initializer cannot fail.
    // swift-format-ignore: NeverForceUnwrap
    static let header = HTTPField.Name("Client-Cert")!

    /// The request's client certificate, if any.
    /// - Throws: ``GNAPError`` `invalid_request` for a `Client-Cert` field from an untrusted peer, more
    ///   than one, or one that is not a byte sequence holding one DER certificate.
    func certificate(_ request: Request, channel: any Channel) async throws(GNAPError) -> GNAPCertificate? {
        // The common case (no TLS client certificates, no proxies, no field) costs one header lookup.
        if !fromTLS, trustedProxies.isEmpty, request.headers[Self.header] == nil { return nil }
        let values = request.headers[values: Self.header]
        if isTrustedProxy(channel.remoteAddress) {
            guard values.count <= 1 else { throw GNAPError(.invalidRequest, "more than one Client-Cert field (RFC 9440 §2.2)") }
            guard let value = values.first else { return nil }
            guard let der = Self.byteSequence(value) else {
                throw GNAPError(
                    .invalidRequest,
                    "Client-Cert must be a Structured Field byte sequence (:base64:) of one DER certificate (RFC 9440 §2.2)"
                )
            }
            do { return try GNAPCertificate(der: der) } catch {
                throw GNAPError(.invalidRequest, "Client-Cert: \(error.message) (RFC 9440 §2.2)")
            }
        }
        guard values.isEmpty else {
            throw GNAPError(
                .invalidRequest,
                "the Client-Cert field is accepted only from a configured trusted proxy (trusted_proxies), and this connection is not from one (RFC 9440 §4)"
            )
        }
        guard fromTLS, let certificate = try? await channel.nioSSL_peerCertificate().get(), let der = try? certificate.toDERBytes() else {
            return nil
        }
        // The handshake already refused a malformed leaf; a parse failure here means no usable certificate.
        return try? GNAPCertificate(der: der)
    }

    /// Whether `address` is inside a trusted proxy network (IPv4-mapped IPv6 peers count as IPv4).
    func isTrustedProxy(_ address: SocketAddress?) -> Bool {
        guard !trustedProxies.isEmpty, let text = address?.ipAddress, var ip = IPAddress(text) else { return false }
        if case .v6(let bytes) = ip, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            ip = .v4(Array(bytes[12..<16]))
        }
        return trustedProxies.contains { $0.contains(ip) }
    }

    /// An RFC 8941 §3.3.5 byte sequence: `:` base64 `:`, with no parameters (RFC 9440 §2.2 defines none).
    static func byteSequence(_ value: String) -> [UInt8]? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 3, trimmed.first == ":", trimmed.last == ":" else { return nil }
        let base64 = trimmed.dropFirst().dropLast()
        guard base64.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" || $0 == "=") }),
            let data = Data(base64Encoded: String(base64))
        else { return nil }
        return Array(data)
    }
}
