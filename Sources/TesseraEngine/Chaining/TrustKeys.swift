import Foundation
import TesseraProtocol

/// Verifiers for the keys of peers and trusted subject-token issuers: static JWK Sets are turned
/// into verifiers once; `jwks_uri` keys come from a ``ClientKeyCache`` (cached, refetched when a
/// JWT names an unknown `kid`, at most once per refetch interval).
actor TrustKeys {
    private let cache: ClientKeyCache
    private let fetcher: any JWKSFetcher
    private let now: @Sendable () -> Date
    /// Verifiers of configured JWK Sets, by owner: read without entering the actor (issue 22), since every redemption
    /// and every exchange of a trusted issuer's token needs one and the set never changes while the server runs.
    private nonisolated let staticVerifiers = LockedValue<[String: JWSVerifier]>([:])
    /// `jwks_uri` found in peers' metadata, by metadata URL, with when it was read.
    private var discovered: [String: (jwksURI: String, fetchedAt: Date)] = [:]
    /// How long a discovered `jwks_uri` is used before the metadata is read again.
    let metadataTimeToLive: TimeInterval = 3600

    init(fetcher: any JWKSFetcher, refetchInterval: TimeInterval, now: @escaping @Sendable () -> Date) {
        cache = ClientKeyCache(fetcher: fetcher, now: now, minimumRefetchInterval: refetchInterval)
        self.fetcher = fetcher
        self.now = now
    }

    /// The `jwks_uri` of the AS whose metadata is at `url`, after checking the document names `issuer` (RFC 8414 §3.3).
    func jwksURI(metadataURL url: String, issuer: String, code: OAuthError.Code) async throws -> String {
        if let entry = discovered[url], now().timeIntervalSince(entry.fetchedAt) < metadataTimeToLive { return entry.jwksURI }
        guard let metadataFetcher = fetcher as? any AuthorizationServerMetadataFetcher else {
            throw OAuthError(code, "the metadata of \(issuer) cannot be fetched here")
        }
        let document: [String: JSONValue]
        do { document = try await metadataFetcher.fetchMetadata(from: url) } catch {
            throw OAuthError.temporarilyUnavailable("the metadata of \(issuer) could not be fetched; retry later")
        }
        // "Identical" (RFC 8414 §3.3): byte for byte, where Swift's `==` would take a canonically equivalent issuer.
        guard let named = document["issuer"]?.stringValue, UnicodeNFC.identical(named, issuer) else {
            throw OAuthError(code, "the metadata at the configured URL names another issuer than \(issuer)")
        }
        guard let jwksURI = document["jwks_uri"]?.stringValue, let components = URLComponents(string: jwksURI),
            components.scheme == "https" || components.scheme == "http", components.host?.isEmpty == false
        else { throw OAuthError(code, "the metadata of \(issuer) has no usable jwks_uri") }
        discovered[url] = (jwksURI, now())
        return jwksURI
    }

    /// The verifier for `owner`'s keys.
    /// - Throws: ``OAuthError`` with `code` when the keys are not configured or not usable, and
    ///   `temporarily_unavailable` (RFC 6749 §5.2, 503) when the owner's metadata or key set cannot be
    ///   fetched now — the JWT may be good, so the client may retry, as on the Appendix B.2 redeem
    ///   path (never the fetch error's text).
    nonisolated func verifier(
        owner: String,
        jwks: PublicJWKSet?,
        jwksURI configuredURI: String?,
        metadataURL: String? = nil,
        kid: String?,
        code: OAuthError.Code
    ) async throws -> JWSVerifier {
        guard let jwks else {
            return try await fetchedVerifier(owner: owner, jwksURI: configuredURI, metadataURL: metadataURL, kid: kid, code: code)
        }
        if let verifier = staticVerifiers.get()[owner] { return verifier }
        let verifier: JWSVerifier
        do { verifier = try await JWSVerifier(keys: jwks) } catch {
            throw OAuthError(code, "the keys configured for \(owner) are not usable")
        }
        staticVerifiers.update { $0[owner] = verifier }
        return verifier
    }

    /// The verifier for keys published at `jwks_uri` (configured or from the owner's metadata), through the cache.
    private func fetchedVerifier(
        owner: String,
        jwksURI configuredURI: String?,
        metadataURL: String?,
        kid: String?,
        code: OAuthError.Code
    ) async throws -> JWSVerifier {
        var jwksURI = configuredURI
        if jwksURI == nil, let metadataURL { jwksURI = try await self.jwksURI(metadataURL: metadataURL, issuer: owner, code: code) }
        guard let jwksURI else { throw OAuthError(code, "no keys are configured for \(owner)") }
        do {
            return try await cache.verifier(for: jwksURI, kid: kid)
        } catch is JOSEError {
            throw OAuthError(code, "the keys published by \(owner) are not usable")
        } catch {
            throw OAuthError.temporarilyUnavailable("the keys of \(owner) could not be fetched; retry later")
        }
    }
}
