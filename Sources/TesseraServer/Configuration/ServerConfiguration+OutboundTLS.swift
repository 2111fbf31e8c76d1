import NIOSSL

/// `outbound_tls:` — which certificate authorities Tessera trusts when it connects out over TLS:
/// metadata documents and `jwks_uri` key sets of clients, peer authorization servers' metadata,
/// key sets and token endpoints, and GNAP `push` finishes. Enterprises run private CAs; the bundle
/// is trusted in addition to the system's roots, never instead of host name checks.
public struct OutboundTLSSettings: Sendable, Hashable {
    /// A PEM file of CA certificates (`ca_bundle:`).
    public var caBundle: String?

    public init(caBundle: String? = nil) {
        self.caBundle = caBundle
    }

    /// The client TLS configuration for outbound connections: the system roots plus the bundle.
    /// - Throws: ``ConfigurationError`` when the bundle cannot be read or holds no certificate.
    func clientConfiguration() throws(ConfigurationError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        guard let caBundle else { return configuration }
        let certificates: [NIOSSLCertificate]
        do { certificates = try NIOSSLCertificate.fromPEMFile(caBundle) } catch {
            throw ConfigurationError(field: "outbound_tls.ca_bundle", "cannot read PEM certificates from '\(caBundle)'")
        }
        try require(!certificates.isEmpty, "outbound_tls.ca_bundle", "'\(caBundle)' holds no PEM certificate")
        configuration.additionalTrustRoots = [.certificates(certificates)]
        return configuration
    }
}

extension ConfigurationLoader {
    /// `outbound_tls:`.
    struct FileOutboundTLS: StrictlyDecodable {
        var caBundle: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case caBundle = "ca_bundle" }

        func apply(to configuration: inout ServerConfiguration) {
            if let caBundle { configuration.outboundTLS.caBundle = caBundle }
        }
    }
}
