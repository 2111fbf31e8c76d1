import Foundation
import TesseraEngine
import TesseraProtocol

/// The URLs a peer's RFC 8414 metadata document names at another origin than the metadata URL the operator
/// configured (its `jwks_uri`, its `token_endpoint`), through ``GuardedHTTPFetcher``: the peer chose them, so
/// they get no more trust than a client's `jwks_uri` (RFC 9700 §4.16; ``LearnedPeerURL``). A URL the guard
/// refuses for what it is becomes ``LearnedPeerURL/Refused``; a failure of the moment stays a plain error.
struct GuardedPeerFetcher: JWKSFetcher, PeerTokenClient {
    static let maximumSize = 64 * 1024
    let fetcher: GuardedHTTPFetcher

    /// Why a learned URL answered but not usably (a failure of the moment, for the engine: retry later).
    struct Unusable: Error {}

    func fetchJWKS(from url: String) async throws -> PublicJWKSet {
        let response: GuardedHTTPFetcher.Response
        do {
            response = try await fetcher.get(url, accept: "application/jwk-set+json, application/json", maximumBytes: Self.maximumSize)
        } catch {
            throw error.isPolicy ? LearnedPeerURL.Refused(error.description) : error
        }
        guard response.status == 200 else { throw Unusable() }
        return try JSONDecoder().decode(PublicJWKSet.self, from: response.body)
    }

    func postTokenRequest(to url: String, form: String, headers: [(name: String, value: String)]) async throws -> PeerTokenReply {
        let response: GuardedHTTPFetcher.Response
        do {
            response = try await fetcher.post(
                url,
                contentType: "application/x-www-form-urlencoded",
                body: Array(form.utf8),
                headers: headers.map { ($0.name, $0.value) },
                accept: "application/json",
                maximumBytes: Self.maximumSize
            )
        } catch {
            throw error.isPolicy ? LearnedPeerURL.Refused(error.description) : error
        }
        // As HTTPPeerTokenClient: a body that is not a JSON object still carries its status.
        let object = (try? JSONDecoder().decode([String: JSONValue].self, from: response.body)) ?? [:]
        return PeerTokenReply(status: response.status, body: object)
    }
}
