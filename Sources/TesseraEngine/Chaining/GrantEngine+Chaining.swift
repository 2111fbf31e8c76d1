import Foundation
import TesseraProtocol
import TesseraStorage

extension GrantEngine {
    /// The fetchers for URLs a peer's metadata names at another origin than the metadata URL (``LearnedPeerURL``):
    /// both under the outbound guard.
    struct Learned {
        /// Fetches such a `jwks_uri`.
        var keys: any JWKSFetcher
        /// Posts to such a `token_endpoint`; without one, it is not used.
        var tokens: (any PeerTokenClient)?
    }

    /// Token exchange (always: exchanges within this domain need no peers) and, when some peer's
    /// keys are known, the jwt-bearer grant for its JWT authorization grants.
    static func chainingHandlers(
        configuration: Configuration,
        trust: TrustConfiguration,
        stores: Stores,
        issuer: TokenIssuer,
        keyRing: KeyRing,
        ledger: TokenLedger,
        fetcher: any JWKSFetcher,
        learned: Learned,
        peerTokenClient: (any PeerTokenClient)?,
        now: @escaping @Sendable () -> Date
    ) -> [any EvidenceHandler] {
        let keys = TrustKeys(fetcher: fetcher, learnedFetcher: learned.keys, refetchInterval: trust.jwksRefetchInterval, now: now)
        let validator = ExchangeTokenValidator(
            issuer: configuration.issuer,
            tokenEndpoint: configuration.tokenEndpoint,
            ledger: ledger,
            trust: trust,
            keys: keys,
            now: now
        )
        let redeemer = peerTokenClient.map {
            GrantRedeemer(
                issuer: configuration.issuer,
                keyRing: keyRing,
                client: $0,
                learnedClient: learned.tokens,
                metadata: fetcher as? any AuthorizationServerMetadataFetcher,
                now: now
            )
        }
        let idJAGIssuer = IDJAGIssuer(
            issuer: issuer,
            trust: trust,
            subjects: IDJAGSubjectValidator(
                issuer: configuration.issuer,
                keyRing: keyRing,
                tokens: stores.tokens,
                gnapGrants: stores.gnap,
                trust: trust,
                keys: keys,
                now: now
            )
        )
        var handlers: [any EvidenceHandler] = [
            TokenExchangeGrant(validator: validator, trust: trust, redeemer: redeemer, idJAG: idJAGIssuer)
        ]
        if trust.acceptsGrants {
            let idJAGRedeemer = IDJAGRedeemer(issuer: configuration.issuer, trust: trust, keys: keys)
            handlers.append(
                JWTBearerGrant(
                    issuer: configuration.issuer,
                    tokenEndpoint: configuration.tokenEndpoint,
                    trust: trust,
                    keys: keys,
                    idJAG: idJAGRedeemer
                )
            )
        }
        return handlers
    }

    /// The token types a chaining token exchange may request, for metadata (identity chaining §3);
    /// `nil` when no peer is configured.
    public var identityChainingTokenTypes: [String]? {
        trust.peers.isEmpty ? nil : trust.chainingTokenTypes
    }

    /// The authorization grant profiles this AS redeems (draft-ietf-oauth-identity-assertion-authz-grant
    /// §7.2); `nil` when it redeems no ID-JAGs.
    public var authorizationGrantProfiles: [String]? {
        trust.redeemsIDJAGs ? [IDJAGTrust.grantProfile] : nil
    }
}
