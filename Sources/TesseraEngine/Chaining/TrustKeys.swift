import Foundation
import TesseraProtocol

/// Verifiers for the keys of peers and trusted subject-token issuers: static JWK Sets are turned
/// into verifiers once; `jwks_uri` keys come from a ``ClientKeyCache`` (cached, refetched when a
/// JWT names an unknown `kid`, at most once per refetch interval). A `jwks_uri` the operator configured,
/// or one a peer's metadata names at the metadata URL's origin, is fetched with the peer fetcher; one
/// the metadata names elsewhere with the guarded fetcher (``LearnedPeerURL``).
actor TrustKeys {
    private let cache: ClientKeyCache
    /// The cache for `jwks_uri` learned from a metadata document at another origin, fetched under the outbound guard.
    private let learnedCache: ClientKeyCache
    private let fetcher: any JWKSFetcher
    private let now: @Sendable () -> Date
    /// Verifiers of configured JWK Sets, by owner: read without entering the actor (issue 22), since every redemption
    /// and every exchange of a trusted issuer's token needs one and the set never changes while the server runs.
    private nonisolated let staticVerifiers = LockedValue<[String: JWSVerifier]>([:])
    /// `jwks_uri` found in peers' metadata, by metadata URL, with when it was read.
    private var discovered: [String: (jwksURI: Discovered, fetchedAt: Date)] = [:]
    /// How long a discovered `jwks_uri` is used before the metadata is read again.
    let metadataTimeToLive: TimeInterval = 3600

    /// A `jwks_uri` read from a metadata document, and whether it must be fetched under the outbound guard.
    struct Discovered: Sendable, Hashable {
        var url: String
        var guarded: Bool
    }

    /// - Parameters:
    ///   - fetcher: fetches the operator's peer URLs (and metadata documents).
    ///   - learnedFetcher: fetches a `jwks_uri` a metadata document names at another origin, under the outbound guard.
    ///   - refetchInterval: the least time between two fetches of one key set for an unknown `kid`.
    ///   - now: the clock.
    init(
        fetcher: any JWKSFetcher,
        learnedFetcher: any JWKSFetcher,
        refetchInterval: TimeInterval,
        now: @escaping @Sendable () -> Date
    ) {
        cache = ClientKeyCache(fetcher: fetcher, now: now, minimumRefetchInterval: refetchInterval)
        learnedCache = ClientKeyCache(fetcher: learnedFetcher, now: now, minimumRefetchInterval: refetchInterval)
        self.fetcher = fetcher
        self.now = now
    }

    /// The `jwks_uri` of the AS whose metadata is at `url`, after checking the document names `issuer` (RFC 8414 §3.3),
    /// marked guarded unless it has the metadata URL's origin (``LearnedPeerURL``).
    func jwksURI(metadataURL url: String, issuer: String, code: OAuthError.Code) async throws -> Discovered {
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
        // RFC 3986 §3.1: the scheme is case-insensitive, so `HTTPS://…` is read as `https://…` before every check
        // (ninth review: it was refused as unusable); the origin and outbound checks then see the canonical URL.
        guard let published = document["jwks_uri"]?.stringValue, let components = URLComponents(string: published),
            let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http", components.host?.isEmpty == false,
            published.lowercased().hasPrefix(scheme + ":")
        else { throw OAuthError(code, "the metadata of \(issuer) has no usable jwks_uri") }
        let jwksURI = scheme + published.dropFirst(scheme.count)
        let found = Discovered(url: jwksURI, guarded: !LearnedPeerURL.sameOrigin(jwksURI, as: url))
        discovered[url] = (found, now())
        return found
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
        var jwksURI = configuredURI.map { Discovered(url: $0, guarded: false) }
        if jwksURI == nil, let metadataURL { jwksURI = try await self.jwksURI(metadataURL: metadataURL, issuer: owner, code: code) }
        guard let jwksURI else { throw OAuthError(code, "no keys are configured for \(owner)") }
        do {
            return try await (jwksURI.guarded ? learnedCache : cache).verifier(for: jwksURI.url, kid: kid)
        } catch let refused as LearnedPeerURL.Refused {
            // Not a failure of the moment: the peer's document names a URL this server does not fetch (RFC 9700 §4.16).
            throw OAuthError(code, "the jwks_uri in the metadata of \(owner) is not fetched: \(refused.description)")
        } catch is JOSEError {
            throw OAuthError(code, "the keys published by \(owner) are not usable")
        } catch {
            throw OAuthError.temporarilyUnavailable("the keys of \(owner) could not be fetched; retry later")
        }
    }
}
