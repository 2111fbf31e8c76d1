import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TesseraEngine
import TesseraProtocol

/// Fetches peer authorization servers' JWK Sets and RFC 8414 metadata with AsyncHTTPClient: GET
/// only, no redirects, a timeout and a size cap.
///
/// Peer URLs come from the operator's trust configuration and may legitimately point at an
/// internal network; URLs that clients choose (their `jwks_uri`, metadata documents), and those a
/// peer's metadata names at another origin (``GuardedPeerFetcher``), go through ``GuardedHTTPFetcher`` instead.
struct HTTPJWKSFetcher: JWKSFetcher, AuthorizationServerMetadataFetcher {
    static let maximumSize = 64 * 1024

    /// One client for the process, like `HTTPClient.shared` (which lives forever and needs no
    /// shutdown) but configured never to follow redirects.
    static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(5))
        )
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
    let client: HTTPClient
    let timeout: TimeAmount

    func fetchJWKS(from url: String) async throws -> PublicJWKSet {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
        let response = try await client.execute(request, timeout: timeout)
        guard response.status == .ok else { throw OAuthError.invalidClient("jwks_uri answered HTTP \(response.status.code)") }
        let body = try await response.body.collect(upTo: Self.maximumSize)
        return try JSONDecoder().decode(PublicJWKSet.self, from: Data(body.readableBytesView))
    }

    func fetchMetadata(from url: String) async throws -> [String: JSONValue] {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await client.execute(request, timeout: timeout)
        guard response.status == .ok else { throw OAuthError.serverError("metadata answered HTTP \(response.status.code)") }
        let body = try await response.body.collect(upTo: Self.maximumSize)
        return try JSONDecoder().decode([String: JSONValue].self, from: Data(body.readableBytesView))
    }
}
