import Foundation
import TesseraEngine
import TesseraProtocol

/// Client ID Metadata Documents and the key sets they point at, through ``GuardedHTTPFetcher``.
struct GuardedClientMetadataFetcher: ClientMetadataFetching {
    static let maximumJWKSSize = 64 * 1024
    let fetcher: GuardedHTTPFetcher

    func fetchDocument(_ url: String, maximumBytes: Int) async throws(OAuthError) -> FetchedClientMetadata {
        let response: GuardedHTTPFetcher.Response
        do { response = try await fetcher.get(url, accept: "application/json", maximumBytes: maximumBytes) } catch {
            throw OAuthError.invalidClient("the client metadata document could not be fetched: \(error.description)")
        }
        return FetchedClientMetadata(status: response.status, body: response.body, maxAge: Self.maxAge(response.header("Cache-Control")))
    }

    func fetchJWKS(_ url: String) async throws(OAuthError) -> PublicJWKSet {
        let response: GuardedHTTPFetcher.Response
        do {
            response = try await fetcher.get(url, accept: "application/jwk-set+json, application/json", maximumBytes: Self.maximumJWKSSize)
        } catch {
            throw OAuthError.invalidClient("the client's jwks_uri could not be fetched: \(error.description)")
        }
        guard response.status == 200 else { throw OAuthError.invalidClient("the client's jwks_uri answered HTTP \(response.status)") }
        guard let set = try? JSONDecoder().decode(PublicJWKSet.self, from: response.body) else {
            throw OAuthError.invalidClient("the client's jwks_uri does not hold a JWK Set")
        }
        return set
    }

    /// `max-age` from `Cache-Control` (RFC 9111 §5.2.2.1); `no-store`/`no-cache` count as 0.
    static func maxAge(_ header: String?) -> TimeInterval? {
        guard let header else { return nil }
        var maxAge: TimeInterval?
        for directive in header.split(separator: ",") {
            let parts = directive.trimmingCharacters(in: .whitespaces).lowercased().split(separator: "=", maxSplits: 1)
            switch parts.first {
            case "no-store", "no-cache": return 0
            case "max-age":
                if parts.count == 2, let seconds = Int(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))), seconds >= 0 {
                    maxAge = TimeInterval(seconds)
                }
            default: break
            }
        }
        return maxAge
    }
}

/// Registered clients' `jwks_uri` key sets, under the same SSRF guard as metadata documents: the
/// URL was chosen by the client's developer, so it gets no more trust than one in a document.
struct GuardedJWKSFetcher: JWKSFetcher {
    let fetcher: GuardedHTTPFetcher

    func fetchJWKS(from url: String) async throws -> PublicJWKSet {
        try await GuardedClientMetadataFetcher(fetcher: fetcher).fetchJWKS(url)
    }
}
