import Foundation
import HTTPMessageSignatures
import Synchronization
import TesseraProtocol

/// The authorization server's signing keys for a resource server: its metadata (RFC 8414 §3) is
/// read once for `jwks_uri`, the JWK Set is fetched on first use and fetched again when a token
/// names an unknown `kid` (key rotation), at most once per ``minimumRefreshInterval``.
final class AuthorizationServerKeys: Sendable {
    private struct State {
        var verifier: JWSVerifier?
        var jwksURI: String?
        var fetchedAt: Date?
        var introspectionEndpoint: String?
    }

    let issuer: String
    let allowedAlgorithms: Set<JWSAlgorithm>
    let minimumRefreshInterval: TimeInterval
    private let configuredJWKSURI: String?
    private let transport: any TesseraTransport
    private let now: @Sendable () -> Date
    private let state = Mutex(State())

    init(
        issuer: String,
        jwksURI: String?,
        allowedAlgorithms: Set<JWSAlgorithm>,
        minimumRefreshInterval: TimeInterval,
        transport: any TesseraTransport,
        now: @escaping @Sendable () -> Date
    ) {
        self.issuer = issuer
        self.configuredJWKSURI = jwksURI
        self.allowedAlgorithms = allowedAlgorithms
        self.minimumRefreshInterval = minimumRefreshInterval
        self.transport = transport
        self.now = now
    }

    /// Verifies a JWS with the AS keys, refreshing them once when the `kid` is unknown.
    func verify(_ jws: CompactJWS, expectedType: String) async throws -> Data {
        if let verifier = state.withLock({ $0.verifier }) {
            let failure: JOSEError
            switch Result(catching: { () throws(JOSEError) -> Data in try verifier.verify(jws, expectedType: expectedType) }) {
            case .success(let payload): return payload
            case .failure(let error): failure = error
            }
            guard failure.code == .unknownKey, mayRefresh() else { throw failure }
        }
        let verifier = try await refresh()
        return try verifier.verify(jws, expectedType: expectedType)
    }

    /// The AS introspection endpoint from its metadata.
    func introspectionEndpoint() async throws -> String {
        if let endpoint = state.withLock({ $0.introspectionEndpoint }) { return endpoint }
        let metadata = try await fetchMetadata()
        guard let endpoint = metadata.introspectionEndpoint else {
            throw ResourceServerError("the authorization server's metadata names no introspection_endpoint")
        }
        return endpoint
    }

    private func mayRefresh() -> Bool {
        state.withLock { state in
            guard let fetchedAt = state.fetchedAt else { return true }
            return now().timeIntervalSince(fetchedAt) >= minimumRefreshInterval
        }
    }

    private func refresh() async throws -> JWSVerifier {
        let jwksURI: String
        if let configured = configuredJWKSURI ?? state.withLock({ $0.jwksURI }) {
            jwksURI = configured
        } else {
            guard let discovered = try await fetchMetadata().jwksURI else {
                throw ResourceServerError("the authorization server's metadata names no jwks_uri")
            }
            jwksURI = discovered
        }
        let body = try await get(jwksURI)
        let set: PublicJWKSet
        do { set = try JSONDecoder().decode(PublicJWKSet.self, from: Data(body)) } catch {
            throw ResourceServerError("the authorization server's JWK Set at \(jwksURI) is not a JWK Set")
        }
        let usable = PublicJWKSet(
            keys: set.keys.filter { key in
                JWSVerifier.algorithms(for: key).contains { allowedAlgorithms.contains($0) }
            }
        )
        let verifier = try await JWSVerifier(keys: usable, allowedAlgorithms: allowedAlgorithms)
        let fetchedAt = now()
        state.withLock {
            $0.verifier = verifier
            $0.jwksURI = jwksURI
            $0.fetchedAt = fetchedAt
        }
        return verifier
    }

    private struct Metadata: Decodable {
        var issuer: String
        var jwksURI: String?
        var introspectionEndpoint: String?
        enum CodingKeys: String, CodingKey {
            case issuer
            case jwksURI = "jwks_uri"
            case introspectionEndpoint = "introspection_endpoint"
        }
    }

    /// RFC 8414 §3: the well-known path goes between host and issuer path; the answer's `issuer` must match.
    private func fetchMetadata() async throws -> Metadata {
        guard var components = URLComponents(string: issuer) else { throw ResourceServerError("the issuer is not a URL") }
        let path = components.percentEncodedPath == "/" ? "" : components.percentEncodedPath
        components.percentEncodedPath = "/.well-known/oauth-authorization-server" + path
        guard let url = components.string else { throw ResourceServerError("the issuer is not a URL") }
        let metadata: Metadata
        do { metadata = try JSONDecoder().decode(Metadata.self, from: Data(try await get(url))) } catch let error as ResourceServerError {
            throw error
        } catch {
            throw ResourceServerError("the authorization server metadata at \(url) is not valid JSON metadata")
        }
        guard metadata.issuer == issuer else {
            throw ResourceServerError(
                "the authorization server metadata names issuer '\(metadata.issuer)', not '\(issuer)' (RFC 8414 §3.3)"
            )
        }
        state.withLock {
            $0.jwksURI = metadata.jwksURI
            $0.introspectionEndpoint = metadata.introspectionEndpoint
        }
        return metadata
    }

    private func get(_ url: String) async throws -> [UInt8] {
        let request: HTTPSignatureRequest
        do {
            request = try HTTPSignatureRequest(
                method: "GET",
                targetURI: url,
                headerFields: [HTTPSignatureField(name: "Accept", value: "application/json")]
            )
        } catch {
            throw ResourceServerError("not an absolute http(s) URL: \(url)")
        }
        let response = try await transport.send(request)
        guard response.status == 200 else { throw ResourceServerError("GET \(url) answered HTTP \(response.status)") }
        return response.body
    }
}

/// The resource server could not reach or understand its authorization server (not a client error).
public struct ResourceServerError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { "ResourceServerError: \(message)" }
}
