import Foundation
import TesseraProtocol

/// Verifiers for the keys of peers and trusted subject-token issuers: static JWK Sets are turned
/// into verifiers once; `jwks_uri` keys come from a ``ClientKeyCache`` (cached, refetched when a
/// JWT names an unknown `kid`, at most once per refetch interval).
actor TrustKeys {
    private let cache: ClientKeyCache
    private var staticVerifiers: [String: JSONKeyEntry] = [:]

    private struct JSONKeyEntry { let verifier: JWSVerifier }

    init(fetcher: any JWKSFetcher, refetchInterval: TimeInterval, now: @escaping @Sendable () -> Date) {
        cache = ClientKeyCache(fetcher: fetcher, now: now, minimumRefetchInterval: refetchInterval)
    }

    /// The verifier for `owner`'s keys.
    /// - Throws: ``OAuthError`` with `code` when the keys cannot be loaded (never the fetch error's text).
    func verifier(owner: String, jwks: PublicJWKSet?, jwksURI: String?, kid: String?, code: OAuthError.Code) async throws -> JWSVerifier {
        if let jwks {
            if let entry = staticVerifiers[owner] { return entry.verifier }
            do {
                let verifier = try await JWSVerifier(keys: jwks)
                staticVerifiers[owner] = JSONKeyEntry(verifier: verifier)
                return verifier
            } catch {
                throw OAuthError(code, "the keys configured for \(owner) are not usable")
            }
        }
        guard let jwksURI else { throw OAuthError(code, "no keys are configured for \(owner)") }
        do {
            return try await cache.verifier(for: jwksURI, kid: kid)
        } catch {
            throw OAuthError(code, "the keys of \(owner) could not be fetched")
        }
    }
}
