import Foundation
import TesseraServer
import TesseraTesting
import Testing

/// `outbound_tls.ca_bundle`: CA certificates trusted for outbound fetches besides the system roots
/// (docs/mcp.md). A bundle that cannot be used stops the server at start, naming the field; the
/// fetch-time behaviour (a private CA trusted, an untrusted certificate refused at once) is proven
/// end to end in Tests/Interop/test_mcp_client_interop.py.
@Suite struct OutboundTLSConfigurationTests {
    static func file(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-ca-\(UUID().uuidString).pem").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aReadableBundleIsLoadedAndAccepted() throws {
        let ca = try TestCertificate.selfSigned(commonName: "private-ca")
        let path = try Self.file(ca.certificatePEM)
        let configuration = try ConfigurationLoader.load(file: "outbound_tls:\n  ca_bundle: \(path)", environment: [:])
        #expect(configuration.outboundTLS.caBundle == path)
        try configuration.validate()
    }

    @Test func aMissingOrEmptyBundleNamesTheField() throws {
        let empty = try Self.file("no certificates here\n")
        for path in ["/nonexistent/ca.pem", empty] {
            #expect {
                try ConfigurationLoader.load(file: "outbound_tls:\n  ca_bundle: \(path)", environment: [:]).validate()
            } throws: { error in
                (error as? ConfigurationError)?.field == "outbound_tls.ca_bundle"
            }
        }
    }

    @Test func unknownMembersAreRefused() {
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(file: "outbound_tls:\n  ca_file: /x.pem", environment: [:])
        }
    }
}
