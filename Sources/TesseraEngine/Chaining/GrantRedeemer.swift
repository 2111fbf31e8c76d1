import Foundation
import TesseraProtocol

/// Redeems a JWT authorization grant we minted at the peer it names, as that peer's OAuth client
/// (draft-ietf-oauth-identity-chaining Appendix B.2, "authorization server acting as client"):
/// the jwt-bearer grant (RFC 7523 §2.1) authenticated with `private_key_jwt` (RFC 7523 §2.2, signed
/// by our own key; `aud` = the peer's issuer, draft-ietf-oauth-rfc7523bis) or `client_secret_basic`
/// (RFC 6749 §2.3.1). The peer's access token goes back to our client unchanged.
///
/// The peer's refusals become `invalid_target` and its unavailability `temporarily_unavailable`,
/// each naming the peer; the peer's error text is reduced to printable ASCII and shortened.
actor GrantRedeemer {
    let issuer: String
    let keyRing: KeyRing
    let client: any PeerTokenClient
    /// Posts to a `token_endpoint` that a peer's metadata names at another origin than the metadata URL, under
    /// the outbound guard (``LearnedPeerURL``); without one, such an endpoint is not used.
    let learnedClient: (any PeerTokenClient)?
    let metadata: (any AuthorizationServerMetadataFetcher)?
    let now: @Sendable () -> Date
    /// Token endpoints found in peers' metadata, by metadata URL, with whether they are guarded and when they were read.
    private var discovered: [String: (endpoint: String, guarded: Bool, fetchedAt: Date)] = [:]
    /// How long a discovered token endpoint is used before the metadata is read again.
    let metadataTimeToLive: TimeInterval = 3600

    /// - Parameters:
    ///   - issuer: our issuer.
    ///   - keyRing: our keys, for `private_key_jwt`.
    ///   - client: posts to the operator's peer token endpoints (and those at the metadata URL's origin).
    ///   - learnedClient: posts to a token endpoint a peer's metadata names at another origin, under the outbound guard.
    ///   - metadata: reads peers' metadata documents.
    ///   - now: the clock.
    init(
        issuer: String,
        keyRing: KeyRing,
        client: any PeerTokenClient,
        learnedClient: (any PeerTokenClient)? = nil,
        metadata: (any AuthorizationServerMetadataFetcher)?,
        now: @escaping @Sendable () -> Date
    ) {
        self.issuer = issuer
        self.keyRing = keyRing
        self.client = client
        self.learnedClient = learnedClient
        self.metadata = metadata
        self.now = now
    }

    /// Presents `grant` at `peer` and returns the peer's access token response for our client.
    /// - Parameters:
    ///   - grant: the JWT authorization grant (RFC 7523) we minted for the peer.
    ///   - scope: the scope asked of the peer.
    ///   - peer: the trust domain that redeems it.
    ///   - bound: the key the client proved at our token endpoint; the peer must then answer `token_type: DPoP`.
    /// - Returns: The peer's token response.
    /// - Throws: ``OAuthError`` when the peer is not configured for redemption or refuses.
    func redeem(grant: String, scope: Scope, peer: TrustConfiguration.Peer, bound: Confirmation?) async throws -> TokenResponse {
        guard let redemption = peer.redeem else {
            throw OAuthError.invalidRequest("peer '\(peer.name)' is not configured for redemption by this server")
        }
        let (endpoint, guarded) = try await tokenEndpoint(of: peer, redemption: redemption)
        var form: [(String, String)] = [("grant_type", GrantType.jwtBearer.rawValue), ("assertion", grant)]
        if !scope.isEmpty { form.append(("scope", scope.description)) }
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        switch redemption.authentication {
        case .privateKeyJWT:
            form.append(("client_assertion_type", ClientAssertionClaims.assertionType))
            form.append(("client_assertion", try await clientAssertion(clientID: redemption.clientID, audience: peer.issuer)))
        case .clientSecretBasic(let secret):
            let pair = FormParameters.encode(redemption.clientID) + ":" + FormParameters.encode(secret)
            headers.append(("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
        }
        let body = form.map { FormParameters.encode($0.0) + "=" + FormParameters.encode($0.1) }.joined(separator: "&")

        let poster: any PeerTokenClient
        if guarded {
            guard let learnedClient else {
                throw OAuthError.temporarilyUnavailable(
                    "the token_endpoint in the metadata of peer '\(peer.name)' is at another origin, which this server does not reach"
                )
            }
            poster = learnedClient
        } else {
            poster = client
        }
        let reply: PeerTokenReply
        do { reply = try await poster.postTokenRequest(to: endpoint, form: body, headers: headers) } catch let refused
            as LearnedPeerURL.Refused
        {
            // Nothing was sent (RFC 9700 §4.16): the peer's document names an endpoint this server does not post to.
            throw OAuthError.temporarilyUnavailable(
                "the token_endpoint in the metadata of peer '\(peer.name)' is not used: \(refused.description)"
            )
        } catch {
            throw OAuthError.temporarilyUnavailable("peer '\(peer.name)' could not be reached to redeem the authorization grant")
        }
        return try response(reply, peer: peer, scope: scope, bound: bound)
    }

    /// The peer's answer as our token response (RFC 6749 §5.1), or the error our client gets.
    private func response(
        _ reply: PeerTokenReply,
        peer: TrustConfiguration.Peer,
        scope: Scope,
        bound: Confirmation?
    ) throws -> TokenResponse {
        switch reply.status {
        case 200:
            break
        case 400..<500:
            let code = Self.printable(reply.body["error"]?.stringValue, limit: 64) ?? "HTTP \(reply.status)"
            let detail = Self.printable(reply.body["error_description"]?.stringValue, limit: 200).map { " (\($0))" } ?? ""
            throw OAuthError.invalidTarget("peer '\(peer.name)' refused the authorization grant: \(code)\(detail)")
        default:
            throw OAuthError.temporarilyUnavailable(
                "peer '\(peer.name)' could not redeem the authorization grant now (HTTP \(reply.status))"
            )
        }
        guard let accessToken = reply.body["access_token"]?.stringValue, !accessToken.isEmpty,
            let tokenType = reply.body["token_type"]?.stringValue, Self.printable(tokenType, limit: 32) == tokenType
        else {
            throw OAuthError.temporarilyUnavailable("peer '\(peer.name)' answered without a usable access token")
        }
        if bound?.jkt != nil, tokenType.lowercased() != "dpop" {
            throw OAuthError.invalidTarget(
                "peer '\(peer.name)' did not bind its access token to the DPoP key proven here (token_type \(tokenType))"
            )
        }
        // The peer's token is handed over only if it holds no scope beyond the grant's (RFC 8693 §2.1).
        if let answered = reply.body["scope"]?.stringValue {
            guard let granted = try? Scope(parsing: answered), granted.subtracting(scope).isEmpty else {
                throw OAuthError.invalidTarget(
                    "peer '\(peer.name)' answered with scope beyond the grant's (\(Self.printable(answered, limit: 200) ?? "unprintable"))"
                )
            }
        }
        var expiresIn: Int?
        if case .number(let seconds)? = reply.body["expires_in"], seconds.isFinite, seconds >= 0, seconds < 1e9 { expiresIn = Int(seconds) }
        let grantedScope = reply.body["scope"]?.stringValue ?? (scope.isEmpty ? nil : scope.description)
        // No refresh token: chained grants are not refreshed (identity chaining §5.4); the client asks us again.
        return TokenResponse(
            accessToken: accessToken,
            tokenType: tokenType,
            expiresIn: expiresIn,
            scope: grantedScope,
            issuedTokenType: TokenTypeIdentifier.accessToken
        )
    }

    /// The peer's token endpoint: configured, or its metadata's `token_endpoint` (RFC 8414 §2) after
    /// checking the document names the peer's issuer (RFC 8414 §3.3); guarded when the document names it
    /// at another origin than the metadata URL's (``LearnedPeerURL``).
    private func tokenEndpoint(
        of peer: TrustConfiguration.Peer,
        redemption: TrustConfiguration.Peer.Redemption
    ) async throws -> (url: String, guarded: Bool) {
        if let endpoint = redemption.tokenEndpoint { return (endpoint, false) }
        guard let url = peer.metadataURL else {
            throw OAuthError.temporarilyUnavailable("peer '\(peer.name)' has no token endpoint configured")
        }
        if let entry = discovered[url], now().timeIntervalSince(entry.fetchedAt) < metadataTimeToLive {
            return (entry.endpoint, entry.guarded)
        }
        guard let metadata else { throw OAuthError.temporarilyUnavailable("the metadata of peer '\(peer.name)' cannot be fetched here") }
        let document: [String: JSONValue]
        do { document = try await metadata.fetchMetadata(from: url) } catch {
            throw OAuthError.temporarilyUnavailable("the metadata of peer '\(peer.name)' could not be fetched")
        }
        // "Identical" (RFC 8414 §3.3): byte for byte, where Swift's `==` would take a canonically equivalent issuer.
        guard let named = document["issuer"]?.stringValue, UnicodeNFC.identical(named, peer.issuer) else {
            throw OAuthError.temporarilyUnavailable("the metadata of peer '\(peer.name)' names another issuer")
        }
        guard let endpoint = document["token_endpoint"]?.stringValue, let components = URLComponents(string: endpoint),
            components.scheme == "https" || components.scheme == "http", components.host?.isEmpty == false
        else { throw OAuthError.temporarilyUnavailable("the metadata of peer '\(peer.name)' has no usable token_endpoint") }
        let guarded = !LearnedPeerURL.sameOrigin(endpoint, as: url)
        discovered[url] = (endpoint, guarded, now())
        return (endpoint, guarded)
    }

    /// A `private_key_jwt` client assertion (RFC 7523 §3) signed with our current key: `iss` = `sub` =
    /// our client ID at the peer, `aud` = the peer's issuer, one minute, a fresh `jti`.
    private func clientAssertion(clientID: String, audience: String) async throws -> String {
        let issuedAt = Int(now().timeIntervalSince1970)
        let claims = ClientAssertionClaims(
            iss: clientID,
            sub: clientID,
            aud: Audience([audience]),
            exp: issuedAt + 60,
            iat: issuedAt,
            jti: TokenIssuer.randomIdentifier()
        )
        do { return try await keyRing.signer().sign(claims, type: ClientAssertionClaims.type) } catch {
            throw OAuthError.serverError("the client assertion for the peer could not be signed")
        }
    }

    /// `text` when it is printable ASCII, shortened to `limit` characters; `nil` otherwise.
    static func printable(_ text: String?, limit: Int) -> String? {
        guard let text, !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else { return nil }
        return String(text.prefix(limit))
    }
}
