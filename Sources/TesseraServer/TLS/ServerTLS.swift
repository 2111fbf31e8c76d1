import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL
import TesseraProtocol

/// Builds the TLS server channel for `tls:` (HummingbirdTLS over swift-nio-ssl).
enum ServerTLS {
    /// The HTTP/1.1 server wrapped in TLS.
    ///
    /// With `client_certificates: optional` the handshake sends a CertificateRequest. Whatever
    /// certificate the client sends, TLS itself makes it prove it holds the private key
    /// (CertificateVerify); the custom verification below accepts any well-formed leaf instead of
    /// validating a chain to a CA, because for GNAP `mtls` the trust is the grant's key binding
    /// (RFC 9635 §7.3.2: self-signed certificates are allowed). A garbled certificate fails the handshake.
    /// - Throws: ``ConfigurationError`` naming `tls.*` when a file cannot be read or used.
    static func server(_ settings: TLSSettings, http: HTTPServerBuilder) throws(ConfigurationError) -> HTTPServerBuilder {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(settings.certificateChainFile) } catch {
            throw ConfigurationError(
                field: "tls.certificate_chain",
                "cannot read PEM certificates from '\(settings.certificateChainFile)': \(error)"
            )
        }
        guard !chain.isEmpty else {
            throw ConfigurationError(field: "tls.certificate_chain", "'\(settings.certificateChainFile)' holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: settings.privateKeyFile, format: .pem) } catch {
            throw ConfigurationError(field: "tls.private_key", "cannot read a PEM private key from '\(settings.privateKeyFile)': \(error)")
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        let channel: TLSChannelConfiguration
        switch settings.clientCertificates {
        case .off:
            tls.certificateVerification = .none
            channel = TLSChannelConfiguration(tlsConfiguration: tls)
        case .optional:
            // Ask for a certificate, do not require one; no CA list is sent and no trust store is used.
            tls.certificateVerification = .optionalVerification
            tls.trustRoots = .certificates([])
            channel = TLSChannelConfiguration(tlsConfiguration: tls, customAsyncVerificationCallback: acceptProvenCertificate)
        }
        do {
            _ = try NIOSSLContext(configuration: tls)
            return try .tls(http, configuration: channel)
        } catch {
            throw ConfigurationError(field: "tls", "the certificate chain and private key cannot be used together: \(error)")
        }
    }

    /// Accepts a client chain whose leaf is a well-formed X.509 certificate (see ``server(_:http:)``).
    @Sendable static func acceptProvenCertificate(_ chain: [NIOSSLCertificate]) async throws -> NIOSSLVerificationResult {
        guard let leaf = chain.first, let der = try? leaf.toDERBytes(), (try? GNAPCertificate(der: der)) != nil else { return .failed }
        return .certificateVerified
    }
}
