// swift-format-ignore-file: NeverForceUnwrap

// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// DPoP at the token endpoint (RFC 9449 §4.3, §5, §8) through the real route: every refusal the
/// RFC names, nonces, and refresh tokens bound to a public client's key.
@Suite struct DPoPTokenEndpointTests {
    let clock = TestClock()
    let basic = TestClients.basicAuthorization()

    struct Answer {
        var status: HTTPResponse.Status
        var body: [String: Any]
        var headers: HTTPFields
        var error: String? { body["error"] as? String }
        var description: String? { body["error_description"] as? String }
    }

    func withApp(
        configure: @escaping (inout ServerConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (any TestClientProtocol, TesseraApplication) async throws -> Void
    ) async throws {
        let app = try await TestServer.build(now: clock.closure, configure: configure)
        try await app.application.test(.router) { client in try await body(client, app) }
    }

    static func token(_ client: any TestClientProtocol, _ form: String, auth: String?, dpop: [String]) async throws -> Answer {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let auth { headers[.authorization] = auth }
        for proof in dpop { headers.append(HTTPField(name: HTTPField.Name("DPoP")!, value: proof)) }
        return try await client.execute(uri: "/token", method: .post, headers: headers, body: ByteBuffer(string: form)) { response in
            Answer(
                status: response.status,
                body: response.body.readableBytes == 0 ? [:] : try HTTPHelpers.json(response.body),
                headers: response.headers
            )
        }
    }

    static func claims(_ token: String) throws -> AccessTokenClaims {
        try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: token).payload)
    }

    /// A proof with a hand-made header and signature, for the attacks a well-behaved signer never makes.
    static func forged(header: String, claims: DPoPProofClaims, sign: (Data) -> Data) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let input = TestClients.base64url(Data(header.utf8)) + "." + TestClients.base64url((try? encoder.encode(claims)) ?? Data())
        return input + "." + TestClients.base64url(sign(Data(input.utf8)))
    }

    @Test func aValidProofBindsTheAccessTokenAndMetadataAdvertisesAlgorithms() async throws {
        let (basic, clock) = (basic, clock)
        try await withApp { client, app in
            let key = DPoPProofSigner()
            let endpoint = app.engine.configuration.tokenEndpoint
            let answer = try await Self.token(
                client,
                "grant_type=client_credentials&scope=read",
                auth: basic,
                dpop: [key.proof(method: "POST", uri: endpoint, now: clock.now)]
            )
            #expect(answer.status == .ok)
            #expect(answer.body["token_type"] as? String == "DPoP")
            #expect(answer.headers[HTTPField.Name("DPoP-Nonce")!] == nil)
            let access = try #require(answer.body["access_token"] as? String)
            #expect(try Self.claims(access).cnf?.jkt == key.thumbprint)

            // Introspection reports the binding (RFC 9449 §6.2).
            let introspected = try await client.execute(
                uri: "/introspect",
                method: .post,
                headers: HTTPHelpers.form(authorization: basic),
                body: ByteBuffer(string: "token=\(access)")
            ) { try HTTPHelpers.json($0.body) }
            #expect(introspected["token_type"] as? String == "DPoP")
            #expect((introspected["cnf"] as? [String: String])?["jkt"] == key.thumbprint)

            // Without a proof the same request gets a bearer token.
            let bearer = try await Self.token(client, "grant_type=client_credentials&scope=read", auth: basic, dpop: [])
            #expect(bearer.body["token_type"] as? String == "Bearer")
            #expect(try Self.claims(#require(bearer.body["access_token"] as? String)).cnf == nil)

            let metadata = try await client.execute(uri: "/.well-known/oauth-authorization-server", method: .get) {
                try JSONDecoder().decode(AuthorizationServerMetadata.self, from: Data(buffer: $0.body))
            }
            #expect(metadata.dpopSigningAlgValuesSupported == ["ES256", "ES384", "EdDSA", "PS256", "RS256"])
        }
    }

    /// RFC 9449 §7.1 at this server's own protected resource: UserInfo takes a DPoP-bound token with a proof by its
    /// key naming it (`ath`), and refuses it as a bearer token (§7.2, no downgrade), with another key's proof, with a
    /// proof for no token, with a replayed proof; a bearer token is refused under the DPoP scheme.
    @Test func userInfoTakesADPoPBoundTokenWithAProofByItsKey() async throws {
        let (basic, clock) = (basic, clock)
        let withOpenID: (inout ServerConfiguration) -> Void = { configuration in
            configuration.clients = configuration.clients.map { client in
                var client = client
                client.scopes += " openid"
                return client
            }
        }
        try await withApp(configure: withOpenID) { client, app in
            let key = DPoPProofSigner()
            let tokenEndpoint = app.engine.configuration.tokenEndpoint
            let issued = try await Self.token(
                client,
                "grant_type=client_credentials&scope=openid",
                auth: basic,
                dpop: [key.proof(method: "POST", uri: tokenEndpoint, now: clock.now)]
            )
            let access = try #require(issued.body["access_token"] as? String, "\(issued.body)")
            let issuer = app.engine.configuration.issuer
            let userinfo = (issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer) + "/userinfo"
            func call(_ authorization: String, _ proofs: [String]) async throws -> Answer {
                var headers: HTTPFields = [.authorization: authorization]
                for proof in proofs { headers.append(HTTPField(name: HTTPField.Name("DPoP")!, value: proof)) }
                return try await client.execute(uri: "/userinfo", method: .get, headers: headers) { response in
                    Answer(
                        status: response.status,
                        body: response.body.readableBytes == 0 ? [:] : try HTTPHelpers.json(response.body),
                        headers: response.headers
                    )
                }
            }
            let good = key.proof(method: "GET", uri: userinfo, accessToken: access, now: clock.now)
            let answered = try await call("DPoP \(access)", [good])
            #expect(answered.status == .ok, "\(answered.body)")
            #expect(answered.body["sub"] as? String == TestClients.secretClientID)

            let refusals: [(String, String, [String], String)] = [
                ("as a bearer token", "Bearer \(access)", [], "invalid_token"),
                ("without a proof", "DPoP \(access)", [], "invalid_dpop_proof"),
                ("replayed", "DPoP \(access)", [good], "invalid_dpop_proof"),
                (
                    "proof by another key", "DPoP \(access)",
                    [DPoPProofSigner().proof(method: "GET", uri: userinfo, accessToken: access, now: clock.now)], "invalid_token"
                ),
                (
                    "proof naming no token", "DPoP \(access)", [key.proof(method: "GET", uri: userinfo, now: clock.now)],
                    "invalid_dpop_proof"
                ),
                (
                    "proof for the token endpoint", "DPoP \(access)",
                    [key.proof(method: "GET", uri: tokenEndpoint, accessToken: access, now: clock.now)], "invalid_dpop_proof"
                ),
            ]
            for (what, authorization, proofs, error) in refusals {
                let refused = try await call(authorization, proofs)
                #expect(refused.status == .unauthorized, "\(what): \(refused.status)")
                #expect(refused.error == error, "\(what): \(refused.body)")
            }
            #expect(try await call("DPoP \(access)", []).headers[.wwwAuthenticate]?.hasPrefix("DPoP error=\"invalid_dpop_proof\"") == true)
            // §7.1: the DPoP-bound token presented as a bearer token is challenged with `DPoP` and its `algs`, the scheme it
            // needs (ninth review: this was a `Bearer` challenge, which tells the client the wrong scheme).
            let downgrade = try #require(try await call("Bearer \(access)", []).headers[.wwwAuthenticate])
            #expect(downgrade.hasPrefix("DPoP error=\"invalid_token\""), "\(downgrade)")
            #expect(downgrade.contains(", algs=\"") && downgrade.contains("ES256"), "\(downgrade)")

            let bearer = try #require(
                try await Self.token(client, "grant_type=client_credentials&scope=openid", auth: basic, dpop: []).body["access_token"]
                    as? String
            )
            #expect(try await call("Bearer \(bearer)", []).status == .ok)
            let bearerAsDPoP = try await call(
                "DPoP \(bearer)",
                [key.proof(method: "GET", uri: userinfo, accessToken: bearer, now: clock.now)]
            )
            #expect(bearerAsDPoP.status == .unauthorized)
            #expect(bearerAsDPoP.error == "invalid_token")
        }
    }

    @Test func everyBrokenProofIsRefusedWithInvalidDPoPProof() async throws {
        let (basic, clock) = (basic, clock)
        try await withApp { client, app in
            let key = DPoPProofSigner()
            let endpoint = app.engine.configuration.tokenEndpoint
            let now = Int(clock.now.timeIntervalSince1970)
            let jwk = key.publicJWK
            let publicHeader = #"{"alg":"ES256","jwk":{"crv":"P-256","kty":"EC","x":"\#(jwk.x!)","y":"\#(jwk.y!)"},"typ":"dpop+jwt"}"#
            let privateHeader =
                #"{"alg":"ES256","jwk":{"crv":"P-256","d":"\#(TestClients.base64url(key.privateKey.rawRepresentation))","kty":"EC","x":"\#(jwk.x!)","y":"\#(jwk.y!)"},"typ":"dpop+jwt"}"#
            let good = DPoPProofClaims(jti: UUID().uuidString, htm: "POST", htu: endpoint, iat: now)
            let es256: (Data) -> Data = { (try? key.privateKey.signature(for: $0).rawRepresentation) ?? Data() }
            let hmacKey = SymmetricKey(data: Data(jwk.x!.utf8))
            var otherURL = good
            otherURL.htu = endpoint.replacingOccurrences(of: "/token", with: "/introspect")
            var otherMethod = good
            otherMethod.htm = "GET"
            var stale = good
            stale.iat = now - 120
            var future = good
            future.iat = now + 600

            let cases: [(String, [String], String)] = [
                (
                    "alg none",
                    [Self.forged(header: publicHeader.replacingOccurrences(of: "ES256", with: "none"), claims: good) { _ in Data() }],
                    "not allowed"
                ),
                (
                    "HS256 keyed with the public key",
                    [
                        Self.forged(header: publicHeader.replacingOccurrences(of: "ES256", with: "HS256"), claims: good) {
                            Data(HMAC<SHA256>.authenticationCode(for: $0, using: hmacKey))
                        }
                    ],
                    "not allowed"
                ),
                ("private key in the header", [Self.forged(header: privateHeader, claims: good, sign: es256)], "private key"),
                (
                    "wrong typ",
                    [Self.forged(header: publicHeader.replacingOccurrences(of: "dpop+jwt", with: "JWT"), claims: good, sign: es256)], "typ"
                ),
                ("no jwk", [Self.forged(header: #"{"alg":"ES256","typ":"dpop+jwt"}"#, claims: good, sign: es256)], "jwk"),
                (
                    "signature by another key",
                    [
                        Self.forged(header: publicHeader, claims: good) {
                            (try? P256.Signing.PrivateKey().signature(for: $0).rawRepresentation) ?? Data()
                        }
                    ], "signature"
                ),
                ("another URL", [key.sign(otherURL)], "htu"),
                ("another method", [key.sign(otherMethod)], "htm"),
                ("stale iat", [key.sign(stale)], "too old"),
                ("iat in the future", [key.sign(future)], "future"),
                (
                    "two DPoP headers",
                    [key.proof(method: "POST", uri: endpoint, now: clock.now), key.proof(method: "POST", uri: endpoint, now: clock.now)],
                    "more than one"
                ),
                ("not a JWT", ["not-a-jwt"], "compact JWS"),
            ]
            for (name, proofs, fragment) in cases {
                let answer = try await Self.token(client, "grant_type=client_credentials", auth: basic, dpop: proofs)
                #expect(answer.status == .badRequest, "\(name)")
                #expect(answer.error == "invalid_dpop_proof", "\(name)")
                #expect(answer.description?.contains(fragment) == true, "\(name): \(answer.description ?? "")")
            }
        }
    }

    @Test func htuIsComparedWithoutQueryAndAfterNormalization() async throws {
        let (basic, clock) = (basic, clock)
        try await withApp { client, app in
            let key = DPoPProofSigner()
            let endpoint = app.engine.configuration.tokenEndpoint
            let shouting = endpoint.replacingOccurrences(of: "http://", with: "HTTP://") + "?ignored=1#frag"
            let claims = DPoPProofClaims(jti: UUID().uuidString, htm: "POST", htu: shouting, iat: Int(clock.now.timeIntervalSince1970))
            let answer = try await Self.token(client, "grant_type=client_credentials", auth: basic, dpop: [key.sign(claims)])
            #expect(answer.status == .ok)
            #expect(answer.body["token_type"] as? String == "DPoP")
        }
    }

    @Test func aReplayedProofIsRefused() async throws {
        let (basic, clock) = (basic, clock)
        try await withApp { client, app in
            let proof = DPoPProofSigner().proof(method: "POST", uri: app.engine.configuration.tokenEndpoint, now: clock.now)
            #expect(try await Self.token(client, "grant_type=client_credentials", auth: basic, dpop: [proof]).status == .ok)
            let replay = try await Self.token(client, "grant_type=client_credentials", auth: basic, dpop: [proof])
            #expect(replay.status == .badRequest)
            #expect(replay.error == "invalid_dpop_proof")
            #expect(replay.description?.contains("already used") == true)
        }
    }

    @Test func requiredNoncesAreDemandedCheckedAndExpire() async throws {
        let (basic, clock) = (basic, clock)
        try await withApp(configure: {
            $0.dpop.requireNonce = true; $0.dpop.noncePeriod = 60
        }) { client, app in
            let key = DPoPProofSigner()
            let endpoint = app.engine.configuration.tokenEndpoint
            let nonceHeader = HTTPField.Name("DPoP-Nonce")!

            let missing = try await Self.token(
                client,
                "grant_type=client_credentials",
                auth: basic,
                dpop: [key.proof(method: "POST", uri: endpoint, now: clock.now)]
            )
            #expect(missing.status == .badRequest)
            #expect(missing.error == "use_dpop_nonce")
            let nonce = try #require(missing.headers[nonceHeader])

            let wrong = try await Self.token(
                client,
                "grant_type=client_credentials",
                auth: basic,
                dpop: [key.proof(method: "POST", uri: endpoint, nonce: "bm90LWEtbm9uY2U", now: clock.now)]
            )
            #expect(wrong.error == "use_dpop_nonce")
            #expect(wrong.headers[nonceHeader] != nil)

            let good = try await Self.token(
                client,
                "grant_type=client_credentials",
                auth: basic,
                dpop: [key.proof(method: "POST", uri: endpoint, nonce: nonce, now: clock.now)]
            )
            #expect(good.status == .ok)
            #expect(good.body["token_type"] as? String == "DPoP")
            #expect(good.headers[nonceHeader] != nil)

            // Two periods later the nonce is no longer accepted.
            clock.advance(by: 121)
            let expired = try await Self.token(
                client,
                "grant_type=client_credentials",
                auth: basic,
                dpop: [key.proof(method: "POST", uri: endpoint, nonce: nonce, now: clock.now)]
            )
            #expect(expired.error == "use_dpop_nonce")
            #expect(expired.headers[nonceHeader] != nonce)
        }
    }

    @Test func aPublicClientsRefreshTokenIsBoundToItsKey() async throws {
        let clock = clock
        try await withApp { client, app in
            // A public client holding an unbound refresh token (as a future interactive grant would issue).
            let seeded = "seeded-refresh-token-for-the-public-client"
            let record = RefreshTokenRecord(
                tokenHash: TokenIssuer.hashToken(seeded),
                grantID: "g-public",
                clientID: TestClients.publicClientID,
                subject: "alice",
                scope: "read",
                audience: [app.engine.configuration.issuer],
                issuedAt: clock.now,
                expiresAt: clock.now.addingTimeInterval(3600)
            )
            try await app.engine.stores.tokens.record(
                TokenIssuance(
                    accessToken: AccessTokenRecord(
                        jti: "seed",
                        grantID: "g-public",
                        clientID: TestClients.publicClientID,
                        subject: "alice",
                        scope: "read",
                        audience: [],
                        issuedAt: clock.now,
                        expiresAt: clock.now.addingTimeInterval(60)
                    ),
                    refreshToken: record
                )
            )
            let endpoint = app.engine.configuration.tokenEndpoint
            let key = DPoPProofSigner()
            let other = DPoPProofSigner()
            let form = { (token: String) in "grant_type=refresh_token&client_id=\(TestClients.publicClientID)&refresh_token=\(token)" }

            let first = try await Self.token(
                client,
                form(seeded),
                auth: nil,
                dpop: [key.proof(method: "POST", uri: endpoint, now: clock.now)]
            )
            #expect(first.status == .ok)
            #expect(first.body["token_type"] as? String == "DPoP")
            let bound = try #require(first.body["refresh_token"] as? String)
            #expect(try await app.engine.stores.tokens.refreshToken(hash: TokenIssuer.hashToken(bound))?.jkt == key.thumbprint)

            let stolen = try await Self.token(
                client,
                form(bound),
                auth: nil,
                dpop: [other.proof(method: "POST", uri: endpoint, now: clock.now)]
            )
            #expect(stolen.status == .badRequest)
            #expect(stolen.error == "invalid_grant")
            #expect(stolen.description?.contains("different DPoP key") == true)

            let bare = try await Self.token(client, form(bound), auth: nil, dpop: [])
            #expect(bare.error == "invalid_dpop_proof")

            let owner = try await Self.token(
                client,
                form(bound),
                auth: nil,
                dpop: [key.proof(method: "POST", uri: endpoint, now: clock.now)]
            )
            #expect(owner.status == .ok)
            let next = try #require(owner.body["refresh_token"] as? String)
            #expect(try await app.engine.stores.tokens.refreshToken(hash: TokenIssuer.hashToken(next))?.jkt == key.thumbprint)
            #expect(try Self.claims(#require(owner.body["access_token"] as? String)).cnf?.jkt == key.thumbprint)
        }
    }

    @Test func aConfidentialClientsRefreshTokenMayMoveToANewKeyButNewTokensAreBound() async throws {
        let (basic, clock) = (basic, clock)
        try await withApp { client, app in
            let endpoint = app.engine.configuration.tokenEndpoint
            let firstKey = DPoPProofSigner()
            let first = try await Self.token(
                client,
                "grant_type=client_credentials&scope=read",
                auth: basic,
                dpop: [firstKey.proof(method: "POST", uri: endpoint, now: clock.now)]
            )
            let refresh = try #require(first.body["refresh_token"] as? String)
            // The grant remembers it is key-bound (issue 18: a derived token is never bearer when its parent was bound).
            #expect(try await app.engine.stores.tokens.refreshToken(hash: TokenIssuer.hashToken(refresh))?.jkt == firstKey.thumbprint)
            let rotatedKey = DPoPProofSigner()
            let second = try await Self.token(
                client,
                "grant_type=refresh_token&refresh_token=\(refresh)",
                auth: basic,
                dpop: [rotatedKey.proof(method: "POST", uri: endpoint, now: clock.now)]
            )
            #expect(second.status == .ok)
            #expect(second.body["token_type"] as? String == "DPoP")
            #expect(try Self.claims(#require(second.body["access_token"] as? String)).cnf?.jkt == rotatedKey.thumbprint)
        }
    }
}
