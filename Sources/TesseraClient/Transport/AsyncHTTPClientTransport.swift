public import AsyncHTTPClient
public import HTTPMessageSignatures
import NIOCore
import NIOHTTP1
import NIOSSL
public import TesseraProtocol

/// The default ``TesseraTransport``: AsyncHTTPClient (`HTTPClient.shared` unless one is injected).
public struct AsyncHTTPClientTransport: TesseraTransport {
    /// The client requests go through.
    public let client: HTTPClient
    /// The deadline for a whole request, response body included.
    public var timeout: Duration
    /// Larger response bodies are refused (a GNAP response is a small JSON object).
    public var maximumResponseBytes: Int

    /// Creates a transport over `client`.
    public init(client: HTTPClient = .shared, timeout: Duration = .seconds(30), maximumResponseBytes: Int = 1 << 20) {
        self.client = client
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
    }

    public func send(_ request: HTTPSignatureRequest) async throws -> TesseraHTTPResponse {
        var outgoing = HTTPClientRequest(url: "\(request.scheme)://\(request.authority)\(request.requestTarget)")
        outgoing.method = HTTPMethod(rawValue: request.method)
        for field in request.headerFields { outgoing.headers.add(name: field.name, value: field.value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let response = try await client.execute(outgoing, timeout: .nanoseconds(nanoseconds))
        let body = try await response.body.collect(upTo: maximumResponseBytes)
        return TesseraHTTPResponse(
            status: Int(response.status.code),
            headerFields: response.headers.map { HTTPSignatureField(name: $0.name, value: $0.value) },
            body: Array(buffer: body)
        )
    }

    /// A transport whose TLS connections present a client certificate, for the GNAP `mtls` proof
    /// (RFC 9635 §7.3.2). The server's certificate is still fully verified (system roots, or
    /// `trustRootsPEM` when given). Call ``shutdown()`` when done.
    /// - Throws: `NIOSSLError` when the PEM texts are not a certificate chain and a matching private key.
    public static func mutualTLS(
        certificateChainPEM: String,
        privateKeyPEM: String,
        trustRootsPEM: String? = nil
    ) throws -> AsyncHTTPClientTransport {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificateChainPEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem))
        if let trustRootsPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(trustRootsPEM.utf8)))
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
        return AsyncHTTPClientTransport(client: client)
    }

    /// A transport that checks the server's TLS certificate against `rootsPEM` instead of the system roots
    /// (e.g. an AS with a self-signed certificate). Call ``shutdown()`` when done.
    /// - Throws: `NIOSSLError` when `rootsPEM` holds no PEM certificate.
    public static func trusting(rootsPEM: String) throws -> AsyncHTTPClientTransport {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(rootsPEM.utf8)))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
        return AsyncHTTPClientTransport(client: client)
    }

    /// Shuts down a client this transport created (``mutualTLS(certificateChainPEM:privateKeyPEM:trustRootsPEM:)``,
    /// ``trusting(rootsPEM:)``);
    /// never call it on `HTTPClient.shared`.
    public func shutdown() async throws {
        try await client.shutdown()
    }
}
