import AsyncHTTPClient
import NIOCore
import Synchronization

/// The process-wide HTTP clients for peer authorization servers (their metadata, key sets and
/// token endpoints), one per `outbound_tls` CA bundle. Like `HTTPClient.shared` they live for the
/// process and are never shut down, so applications built and dropped (tests) do not leak clients.
enum OutboundHTTPClients {
    private static let withBundle = Mutex<[String: HTTPClient]>([:])

    /// The client for peers under these settings: the shared one when no CA bundle is configured.
    /// - Throws: ``ConfigurationError`` when the bundle cannot be loaded.
    static func peers(_ settings: OutboundTLSSettings) throws(ConfigurationError) -> HTTPClient {
        guard let bundle = settings.caBundle else { return HTTPJWKSFetcher.sharedClient }
        let tls = try settings.clientConfiguration()
        return withBundle.withLock { clients in
            if let client = clients[bundle] { return client }
            var configuration = HTTPClient.Configuration(
                tlsConfiguration: tls,
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(5), read: .seconds(5))
            )
            configuration.httpVersion = .http1Only
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[bundle] = client
            return client
        }
    }
}
