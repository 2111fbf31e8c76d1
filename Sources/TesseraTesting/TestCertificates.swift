import Crypto
public import Foundation
import SwiftASN1
import X509

/// Self-signed certificates made on the fly for TLS and GNAP `mtls` tests: a server certificate for
/// `localhost`/127.0.0.1 and client certificates, each with its P-256 private key as PEM.
public struct TestCertificate: Sendable {
    /// The certificate, PEM.
    public let certificatePEM: String
    /// The DER certificate.
    public let der: [UInt8]
    /// The PKCS#8 private key, PEM.
    public let privateKeyPEM: String

    /// A self-signed certificate for `commonName`, valid from an hour ago for a day; `server` adds
    /// the `localhost` and 127.0.0.1 subject alternative names a TLS client checks.
    public static func selfSigned(commonName: String, server: Bool = false, now: Date = Date()) throws -> TestCertificate {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            if server {
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            }
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86_400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return TestCertificate(
            certificatePEM: try certificate.serializeAsPEM().pemString,
            der: serializer.serializedBytes,
            privateKeyPEM: key.pemRepresentation
        )
    }

    /// Writes the certificate and key to files in a fresh temporary directory: (certificate path, key path).
    public func writeFiles() throws -> (certificate: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem"), key = directory.appendingPathComponent("key.pem")
        try Data(certificatePEM.utf8).write(to: certificate)
        try Data(privateKeyPEM.utf8).write(to: key)
        return (certificate.path, key.path)
    }
}
