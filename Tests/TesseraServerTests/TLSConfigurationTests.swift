import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// `tls:` and `trusted_proxies:` (docs/gnap.md, "mtls"): parsed, validated, and the files checked when the
/// server is built, every mistake naming its field.
@Suite struct TLSConfigurationTests {
    @Test func tlsAndTrustedProxiesAreReadFromTheFile() throws {
        let yaml = """
            tls:
              certificate_chain: /etc/tessera/chain.pem
              private_key: /etc/tessera/key.pem
              client_certificates: optional
            trusted_proxies: [10.0.0.5/32, "fd00::/8"]
            """
        let configuration = try ConfigurationLoader.load(file: yaml, environment: [:])
        #expect(
            configuration.tls
                == TLSSettings(
                    certificateChainFile: "/etc/tessera/chain.pem",
                    privateKeyFile: "/etc/tessera/key.pem",
                    clientCertificates: .optional
                )
        )
        #expect(configuration.trustedProxies.map(\.description) == ["10.0.0.5/32", "fd00::/8"])
        #expect(configuration.seesClientCertificates)
        #expect(configuration.effectiveIssuer(port: 8443) == "https://127.0.0.1:8443")
        try configuration.validate()
        #expect(try ConfigurationLoader.load(file: "port: 1", environment: [:]).seesClientCertificates == false)
    }

    @Test(arguments: [
        ("tls:\n  certificate_chain: a.pem", "tls.private_key"),
        ("tls:\n  certificate_chain: a.pem\n  private_key: b.pem\n  client_certificates: required", "tls.client_certificates"),
        ("tls:\n  certificate_chain: a.pem\n  private_key: b.pem\n  colour: blue", "tls.colour"),
        ("tls:\n  certificate_chain: a.pem\n  private_key: b.pem\nissuer: http://as.example", "issuer"),
        ("trusted_proxies: [10.0.0.0/33]", "trusted_proxies[0]"),
        ("trusted_proxies: [proxy.example]", "trusted_proxies[0]"),
        (
            "gnap:\n  instances:\n    - id: a\n      key: {proof: mtls, cert#S256: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA}\n      allowed_access: [x]",
            "gnap.instances[0].key"
        ),
        (
            "trusted_proxies: [10.0.0.5]\ngnap:\n  instances:\n    - id: a\n      key: {proof: mtls, cert: garbage}\n      allowed_access: [x]",
            "gnap.instances[0].key.cert"
        ),
        (
            "trusted_proxies: [10.0.0.5]\ngnap:\n  instances:\n    - id: a\n      key: {proof: mtls, cert#S256: short}\n      allowed_access: [x]",
            "gnap.instances[0].key.cert#S256"
        ),
        (
            "gnap:\n  resource_servers:\n    - id: rs\n      key: {proof: mtls, cert#S256: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA}\n      audiences: [x]",
            "gnap.resource_servers[0].key"
        ),
    ])
    func mistakesNameTheirField(_ yaml: String, _ field: String) {
        #expect {
            try ConfigurationLoader.load(file: yaml, environment: [:]).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == field
        }
    }

    @Test func unreadableOrMismatchedFilesStopTheServerFromBuilding() async throws {
        let one = try TestCertificate.selfSigned(commonName: "localhost", server: true).writeFiles()
        let other = try TestCertificate.selfSigned(commonName: "localhost", server: true).writeFiles()
        for (chain, key, field) in [
            ("/nonexistent/chain.pem", one.key, "tls.certificate_chain"),
            (one.certificate, "/nonexistent/key.pem", "tls.private_key"),
            (one.key, one.key, "tls.certificate_chain"),
            (one.certificate, other.key, "tls"),
        ] {
            await #expect {
                _ = try await TestServer.build(configure: { configuration in
                    configuration.tls = TLSSettings(certificateChainFile: chain, privateKeyFile: key, clientCertificates: .optional)
                })
            } throws: { error in
                (error as? ConfigurationError)?.field == field
            }
        }
    }
}
