import Foundation
import TesseraEngine
import TesseraProtocol

/// Native TLS termination for `tessera serve`:
///
/// ```yaml
/// tls:
///   certificate_chain: /etc/tessera/server-chain.pem   # PEM, leaf first
///   private_key: /etc/tessera/server-key.pem            # PEM
///   client_certificates: optional                       # optional | off (default off)
/// trusted_proxies: [10.0.0.5/32]   # RFC 9440 Client-Cert is believed only from these peers
/// ```
///
/// With `client_certificates: optional` the server asks every client for a certificate and accepts
/// any, self-signed included: for GNAP `mtls` (RFC 9635 §7.3.2) the trust is the key binding of the
/// grant, not a CA. A client without one still connects (httpsig, browsers).
public struct TLSSettings: Sendable, Hashable {
    /// Whether the TLS handshake asks for a client certificate.
    public enum ClientCertificates: String, Sendable, Hashable, CaseIterable {
        /// Asked for, not required; any certificate the client proves it holds is accepted.
        case optional
        /// Not asked for.
        case off
    }

    /// PEM file with the server certificate chain, leaf first.
    public var certificateChainFile: String
    /// PEM file with the server private key.
    public var privateKeyFile: String
    public var clientCertificates: ClientCertificates

    public init(certificateChainFile: String, privateKeyFile: String, clientCertificates: ClientCertificates = .off) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.clientCertificates = clientCertificates
    }
}

extension ServerConfiguration {
    /// Whether requests can carry client certificates, so GNAP offers `mtls`.
    public var seesClientCertificates: Bool {
        tls?.clientCertificates == .optional || !trustedProxies.isEmpty
    }

    /// Checks `tls:` (the files are read when the server is built). - Throws: ``ConfigurationError``.
    func validateTLS() throws(ConfigurationError) {
        guard let tls else { return }
        try require(!tls.certificateChainFile.isEmpty, "tls.certificate_chain", "is required")
        try require(!tls.privateKeyFile.isEmpty, "tls.private_key", "is required")
        if let issuer, URLComponents(string: issuer)?.scheme != "https" {
            throw ConfigurationError(field: "issuer", "must be https when the server terminates TLS")
        }
    }

    /// A registered instance proving with `mtls` names its certificate by `cert` or `cert#S256`.
    func validateMutualTLSInstance(_ key: GNAPKey, field: String) throws(ConfigurationError) {
        guard key.jwk == nil, (key.cert == nil) != (key.certS256 == nil) else {
            throw ConfigurationError(field: field, "an mtls key has exactly one of cert or cert#S256 (RFC 9635 §7.1)")
        }
        if let cert = key.cert {
            do { _ = try GNAPCertificate(pem: cert) } catch { throw ConfigurationError(field: field + ".cert", error.message) }
        }
        if let certS256 = key.certS256, certS256.utf8.count != 43 || Base64URL.decode(certS256)?.count != 32 {
            throw ConfigurationError(field: field + ".cert#S256", "must be the base64url SHA-256 of the certificate (RFC 8705 §3.1)")
        }
        guard seesClientCertificates else {
            throw ConfigurationError(field: field, "an mtls instance needs tls.client_certificates: optional or trusted_proxies")
        }
    }
}

extension ConfigurationLoader {
    /// `tls:`.
    struct FileTLS: StrictlyDecodable {
        var certificateChain: String
        var privateKey: String
        var clientCertificates: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case certificateChain = "certificate_chain"
            case privateKey = "private_key"
            case clientCertificates = "client_certificates"
        }

        func settings() throws(ConfigurationError) -> TLSSettings {
            var mode = TLSSettings.ClientCertificates.off
            if let clientCertificates {
                guard let parsed = TLSSettings.ClientCertificates(rawValue: clientCertificates) else {
                    throw ConfigurationError(field: "tls.client_certificates", "must be optional or off")
                }
                mode = parsed
            }
            return TLSSettings(certificateChainFile: certificateChain, privateKeyFile: privateKey, clientCertificates: mode)
        }

        /// `trusted_proxies:` entries as networks.
        static func networks(_ texts: [String]) throws(ConfigurationError) -> [IPNetwork] {
            try texts.enumerated().map { index, text throws(ConfigurationError) in
                guard let network = IPNetwork(text) else {
                    throw ConfigurationError(field: "trusted_proxies[\(index)]", "must be an IP address or CIDR block such as 10.0.0.5/32")
                }
                return network
            }
        }
    }
}
