import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Token exchange at AS-A and jwt-bearer redemption at AS-B over the real routes
/// (RFC 8693, RFC 7523, draft-ietf-oauth-identity-chaining), with every refusal.
@Suite struct ChainingEndpointTests {
    typealias F = ChainingFixture

    @Test func exchangeAtAThenRedeemAtB() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let token = try await F.accessToken(a)
            let exchanged = try await F.exchange(a, subject: token, extra: [("audience", F.issuerB), ("scope", "read")])
            #expect(exchanged.status == .ok)
            #expect(exchanged.json["token_type"] as? String == "N_A")
            #expect(exchanged.json["issued_token_type"] as? String == TokenTypeIdentifier.jwt)
            #expect(exchanged.json["expires_in"] as? Int == 60)
            #expect(exchanged.json["refresh_token"] == nil)
            let grant = try #require(exchanged.json["access_token"] as? String)
            let jws = try CompactJWS(parsing: grant)
            #expect(jws.header.typ == "JWT")
            let claims = try F.claims(grant)
            #expect(claims.audience == [F.issuerB])
            #expect(claims.string("iss") == F.issuerA)
            #expect(claims.string("sub") == "app")
            #expect(claims.string("client_id") == "app")
            #expect(claims.string("scope") == "read")
            #expect(claims.string("jti") != nil)
            #expect(claims.numericDate("exp")! - claims.numericDate("iat")! == 60)

            let redeemed = try await F.redeem(b, grant: grant)
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            #expect(redeemed.json["token_type"] as? String == "Bearer")
            #expect(redeemed.json["refresh_token"] == nil)
            let access = try F.claims(try #require(redeemed.json["access_token"] as? String))
            #expect(access.string("iss") == F.issuerB)
            #expect(access.string("sub") == "app@a")
            #expect(access.string("scope") == "read")
            #expect(access.string("client_id") == "app")
        }
    }

    @Test func resourceNamingThePeerTokenEndpointAlsoChains() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, _ in
            let token = try await F.accessToken(a)
            let exchanged = try await F.exchange(a, subject: token, extra: [("resource", F.issuerB + "/token")])
            #expect(exchanged.status == .ok)
            #expect(try F.claims(exchanged.json["access_token"] as! String).audience == [F.issuerB])
        }
    }

    @Test func metadataAdvertisesChaining() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            for (client, grants) in [
                (a, [GrantType.tokenExchange.rawValue]), (b, [GrantType.tokenExchange.rawValue, GrantType.jwtBearer.rawValue]),
            ] {
                try await client.execute(uri: "/.well-known/oauth-authorization-server", method: .get) { response in
                    let body = try HTTPHelpers.json(response.body)
                    let supported = body["grant_types_supported"] as? [String] ?? []
                    for grant in grants { #expect(supported.contains(grant)) }
                    #expect(body["identity_chaining_requested_token_types_supported"] as? [String] == [TokenTypeIdentifier.jwt])
                }
            }
        }
    }

    // MARK: - Refusals at AS-B

    @Test func replayedGrantIsRefused() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            #expect(try await F.redeem(b, grant: grant).status == .ok)
            let replay = try await F.redeem(b, grant: grant)
            #expect(replay.error == "invalid_grant")
            #expect(replay.description.contains("jti"))
        }
    }

    @Test func grantForAnotherAudienceIsRefused() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let grant = try #require(
                try await F.exchange(a, subject: try await F.accessToken(a), extra: [("audience", F.issuerC)]).json["access_token"]
                    as? String
            )
            #expect(try F.claims(grant).audience == [F.issuerC])
            let response = try await F.redeem(b, grant: grant)
            #expect(response.error == "invalid_grant")
            #expect(response.description.contains("aud"))
        }
    }

    @Test func accessTokenPresentedAsGrantIsRefused() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let response = try await F.redeem(b, grant: try await F.accessToken(a))
            #expect(response.error == "invalid_grant")
            #expect(response.description.contains("access token"))
        }
    }

    @Test func expiredGrantIsRefused() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            fixture.clock.advance(by: 60 + 61)
            let response = try await F.redeem(b, grant: grant)
            #expect(response.error == "invalid_grant")
            #expect(response.description.contains("expired"))
        }
    }

    @Test func grantFromAnUntrustedIssuerIsRefused() async throws {
        let fixture = try await F.make()
        try await fixture.run { _, b in
            let now = Int(fixture.clock.now.timeIntervalSince1970)
            let forged = try await F.signed([
                "iss": .string("https://evil.test"), "sub": .string("app"), "aud": .string(F.issuerB), "exp": .number(Double(now + 60)),
                "jti": .string("x1"),
            ])
            let response = try await F.redeem(b, grant: forged)
            #expect(response.error == "invalid_grant")
            #expect(response.description.contains("not a trusted peer"))
            // The same key claiming to be A: A never published it.
            let impostor = try await F.signed([
                "iss": .string(F.issuerA), "sub": .string("app"), "aud": .string(F.issuerB), "exp": .number(Double(now + 60)),
                "jti": .string("x2"),
            ])
            let second = try await F.redeem(b, grant: impostor)
            #expect(second.error == "invalid_grant")
            #expect(second.description.contains("signature"))
        }
    }

    @Test func keyRotationAtAIsPickedUpByB() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let first = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            #expect(try await F.redeem(b, grant: first).status == .ok)
            let newKid = try await fixture.a.engine.keyRing.rotate(publishDelay: 0).kid
            fixture.clock.advance(by: 31)
            let second = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            #expect(try CompactJWS(parsing: second).header.kid == newKid)
            let response = try await F.redeem(b, grant: second)
            #expect(response.status == .ok, "\(response.json)")
        }
    }

    @Test func upScopingIsRefusedAtBothServers() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let readOnly = try await F.accessToken(a, scope: "read")
            let atA = try await F.exchange(a, subject: readOnly, extra: [("audience", F.issuerB), ("scope", "read write")])
            #expect(atA.error == "invalid_scope")
            #expect(atA.description.contains("write"))
            let grant = try #require(try await F.exchange(a, subject: readOnly).json["access_token"] as? String)
            let atB = try await F.redeem(b, grant: grant, extra: [("scope", "read write")])
            #expect(atB.error == "invalid_scope")
            #expect(atB.description.contains("grant"))
        }
    }

    @Test func clientScopesCapTheRedeemedToken() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            // The grant is minted for "reader" (only it may redeem it); B registers "reader" for "read" only.
            let subject = try await F.accessToken(a, as: "reader")
            let grant = try #require(try await F.exchange(a, subject: subject, as: "reader").json["access_token"] as? String)
            let response = try await F.redeem(b, grant: grant, as: "reader")
            #expect(response.status == .ok)
            #expect(response.json["scope"] as? String == "read")
        }
    }

    @Test func refreshTokensAreNeverIssuedForChainedGrants() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let redeemed = try await F.redeem(b, grant: grant)
            #expect(redeemed.status == .ok)
            #expect(redeemed.json["refresh_token"] == nil)
            let refresh = try await F.post(
                b,
                [("grant_type", "refresh_token"), ("refresh_token", redeemed.json["access_token"] as! String)]
            )
            #expect(refresh.error == "invalid_grant")
        }
    }

    @Test func subjectMappingFailsClosed() async throws {
        let fixture = try await F.make(configureB: { configuration in
            configuration.chaining.peers[0].inbound.requireSubjectMapping = true
            configuration.chaining.peers[0].inbound.subjectMap = ["someone-else": "x"]
        })
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let response = try await F.redeem(b, grant: grant)
            #expect(response.error == "invalid_grant")
            #expect(response.description.contains("subject"))
        }
    }

    @Test func cedarPolicyDecidesWhichScopesAPeerGets() async throws {
        let policy = """
            permit (principal == Peer::"a", action == Action::"request_scope", resource == Scope::"read");
            permit (principal == Peer::"a", action == Action::"request_scope", resource == Scope::"write")
              when { context.claims has department && context.claims.department == "finance" };
            """
        let fixture = try await F.make(configureB: { configuration in
            configuration.chaining.policy = try ChainingPolicy(text: policy, source: "test.cedar")
        })
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let denied = try await F.redeem(b, grant: grant, extra: [("scope", "read write")])
            #expect(denied.error == "invalid_scope")
            #expect(denied.description.contains("policy"))
            let other = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let allowed = try await F.redeem(b, grant: other, extra: [("scope", "read")])
            #expect(allowed.status == .ok)
        }
    }

    /// `chaining.policy_file` in its old vocabulary is decided by the one decision point: the
    /// refusal names the translated policy (docs/policy.md, "Policy files in their old words").
    @Test func aChainingPolicyFileIsDecidedByTheOneDecisionPoint() async throws {
        let policy = """
            permit (principal == Peer::"a", action == Action::"request_scope", resource);
            @id("no-write-for-a")
            forbid (principal == Peer::"a", action == Action::"request_scope", resource == Scope::"write")
              when { context.redeeming_client != "nobody" && context.claims has sub };
            """
        let fixture = try await F.make(configureB: { configuration in
            configuration.chaining.policy = try ChainingPolicy(text: policy, source: "/etc/tessera/peers.cedar")
        })
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let denied = try await F.redeem(b, grant: grant, extra: [("scope", "read write")])
            #expect(denied.error == "invalid_scope")
            #expect(denied.description.contains(#""peers.cedar: no-write-for-a""#), "\(denied.description)")
            #expect(!denied.description.contains("/etc/tessera"), "a refusal names the file, not where it lives")
            // Without a requested scope the file still refuses (it did before it was translated), not narrows.
            let unscoped = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            #expect(try await F.redeem(b, grant: unscoped).error == "invalid_scope")
            let other = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            #expect(try await F.redeem(b, grant: other, extra: [("scope", "read")]).status == .ok)
        }
    }

    @Test func requestedConfirmationBecomesTheTokensKeyBinding() async throws {
        let fixture = try await F.make(configureB: { configuration in
            configuration.chaining.peers = [
                {
                    var peer = TrustConfiguration.Peer(name: "idp", issuer: F.externalIssuer)
                    peer.jwks = PublicJWKSet(keys: [TestClients.jwtClientPublicJWK])
                    return peer
                }()
            ]
        })
        try await fixture.run { _, b in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let grant = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "iat": .number(now),
                "exp": .number(now + 60),
                "jti": .string("g1"), "scope": .string("read"), "requested_cnf": .object(["jkt": .string("thumbprint-of-client-key")]),
                "act": .object(["sub": .string("svc"), "act": .object(["sub": .string("first")])]),
            ])
            let response = try await F.redeem(b, grant: grant)
            #expect(response.status == .ok, "\(response.json)")
            #expect(response.json["token_type"] as? String == "DPoP")
            let access = try F.claims(try #require(response.json["access_token"] as? String))
            #expect(access.decode("cnf", as: TesseraProtocol.Confirmation.self)?.jkt == "thumbprint-of-client-key")
            #expect(access.decode("act", as: ActorClaim.self)?.chain.map(\.sub) == ["svc", "first"])
        }
    }

    @Test func grantsLivingTooLongAreRefused() async throws {
        let fixture = try await F.make(configureB: { configuration in
            var peer = TrustConfiguration.Peer(name: "idp", issuer: F.externalIssuer)
            peer.jwks = PublicJWKSet(keys: [TestClients.jwtClientPublicJWK])
            configuration.chaining.peers = [peer]
        })
        try await fixture.run { _, b in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let long = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "exp": .number(now + 3600),
                "jti": .string("l1"),
            ])
            #expect(try await F.redeem(b, grant: long).description.contains("too far"))
            let noJTI = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "exp": .number(now + 60),
            ])
            #expect(try await F.redeem(b, grant: noJTI).description.contains("jti"))
            let future = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "exp": .number(now + 60),
                "nbf": .number(now + 120),
                "jti": .string("n1"),
            ])
            #expect(try await F.redeem(b, grant: future).description.contains("nbf"))
            let badActor = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerB), "exp": .number(now + 60),
                "jti": .string("a1"),
                "act": .string("not-an-object"),
            ])
            #expect(try await F.redeem(b, grant: badActor).description.contains("act"))
        }
    }

    // MARK: - Refusals at AS-A

    @Test func anotherClientCannotExchangeAStolenToken() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, _ in
            let stolen = try await F.accessToken(a)
            let response = try await F.exchange(a, subject: stolen, as: "other")
            #expect(response.error == "invalid_request")
            #expect(response.description.contains("not issued to this client"))
        }
    }

    @Test func unknownTargetsAreInvalidTarget() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, _ in
            let token = try await F.accessToken(a)
            let unknown = try await F.exchange(a, subject: token, extra: [("audience", "https://unknown.test")])
            #expect(unknown.error == "invalid_target")
            let mixed = try await F.exchange(a, subject: token, extra: [("audience", F.issuerB), ("resource", "https://api.a.test/")])
            #expect(mixed.error == "invalid_target")
            let twoPeers = try await F.exchange(a, subject: token, extra: [("audience", F.issuerB), ("audience", F.issuerC)])
            #expect(twoPeers.error == "invalid_target")
        }
    }

    @Test func badSubjectTokensAreInvalidRequest() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, _ in
            let token = try await F.accessToken(a)
            #expect(try await F.exchange(a, subject: "not-a-jwt").error == "invalid_request")
            #expect(try await F.exchange(a, subject: token, type: TokenTypeIdentifier.refreshToken).error == "invalid_request")
            #expect(try await F.exchange(a, subject: token, type: "urn:example:saml").error == "invalid_request")
            // An access token of ours named an ID token (RFC 8693 §3: the type says what the token is): refused.
            let mislabelled = try await F.exchange(a, subject: token, type: TokenTypeIdentifier.idToken)
            #expect(mislabelled.error == "invalid_request")
            #expect(mislabelled.description.contains("not an ID token"), "\(mislabelled.description)")
            let missing = try await F.post(a, [("grant_type", GrantType.tokenExchange.rawValue), ("subject_token", token)])
            #expect(missing.error == "invalid_request")
            #expect(missing.description.contains("subject_token_type"))
            // A grant is not an access token.
            let grant = try #require(try await F.exchange(a, subject: token).json["access_token"] as? String)
            #expect(try await F.exchange(a, subject: grant).error == "invalid_request")
            // A revoked token cannot be exchanged.
            try await a.execute(
                uri: "/revoke",
                method: .post,
                headers: HTTPHelpers.form(authorization: TestClients.basicAuthorization(id: "app", secret: F.secret)),
                body: .init(string: "token=\(token)")
            ) { #expect($0.status == .ok) }
            let revoked = try await F.exchange(a, subject: token)
            #expect(revoked.error == "invalid_request")
            #expect(revoked.description.contains("revoked"))
            // Expired.
            let fresh = try await F.accessToken(a)
            fixture.clock.advance(by: 3601)
            #expect(try await F.exchange(a, subject: fresh).description.contains("expired"))
        }
    }

    @Test func requestedTokenTypeIsChecked() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, _ in
            let token = try await F.accessToken(a)
            let bad = try await F.exchange(
                a,
                subject: token,
                extra: [("audience", F.issuerB), ("requested_token_type", TokenTypeIdentifier.accessToken)]
            )
            #expect(bad.error == "invalid_request")
            let local = try await F.exchange(a, subject: token, extra: [("scope", "read")])
            #expect(local.status == .ok)
            #expect(local.json["issued_token_type"] as? String == TokenTypeIdentifier.accessToken)
            #expect(local.json["token_type"] as? String == "Bearer")
            #expect(local.json["refresh_token"] == nil)
        }
    }

    @Test func delegationNestsActorsAndIsCarriedToB() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let subject = try await F.accessToken(a)
            let actor = try await F.accessToken(a, as: "delegate")
            // Without delegation rights "other" cannot act for app's token.
            let refused = try await F.exchange(
                a,
                subject: subject,
                as: "other",
                extra: [("actor_token", try await F.accessToken(a, as: "other")), ("actor_token_type", TokenTypeIdentifier.accessToken)]
            )
            #expect(refused.error == "invalid_request")
            // The actor token must be the caller's own.
            let notOwn = try await F.exchange(
                a,
                subject: subject,
                as: "delegate",
                extra: [("actor_token", subject), ("actor_token_type", TokenTypeIdentifier.accessToken)]
            )
            #expect(notOwn.error == "invalid_request")
            #expect(notOwn.description.contains("actor_token"))

            let delegated = try await F.exchange(
                a,
                subject: subject,
                as: "delegate",
                extra: [("actor_token", actor), ("actor_token_type", TokenTypeIdentifier.accessToken)]
            )
            #expect(delegated.status == .ok, "\(delegated.json)")
            let first = try #require(delegated.json["access_token"] as? String)
            #expect(try F.claims(first).decode("act", as: ActorClaim.self)?.sub == "delegate")
            #expect(try F.claims(first).string("sub") == "app")
            // The delegated token, again delegated, chained to B: the act chain nests.
            let grant = try await F.exchange(
                a,
                subject: first,
                as: "delegate",
                extra: [("audience", F.issuerB), ("actor_token", actor), ("actor_token_type", TokenTypeIdentifier.accessToken)]
            )
            #expect(grant.status == .ok, "\(grant.json)")
            let grantClaims = try F.claims(try #require(grant.json["access_token"] as? String))
            #expect(grantClaims.decode("act", as: ActorClaim.self)?.chain.map(\.sub) == ["delegate", "delegate"])
        }
    }

    @Test func impersonationOnlyForConfiguredClients() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, _ in
            let subject = try await F.accessToken(a)
            #expect(try await F.exchange(a, subject: subject, as: "delegate").error == "invalid_request")
            let response = try await F.exchange(a, subject: subject, as: "impersonator", extra: [("scope", "read")])
            #expect(response.status == .ok)
            let claims = try F.claims(try #require(response.json["access_token"] as? String))
            #expect(claims.string("sub") == "app")
            #expect(claims["act"] == nil)
        }
    }

    @Test func trustedIssuerJWTsAreSubjectTokens() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            func idToken(_ overrides: [String: JSONValue] = [:], typ: String? = "JWT") async throws -> String {
                var claims: [String: JSONValue] = [
                    "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerA), "azp": .string("app"),
                    "iat": .number(now), "exp": .number(now + 300), "scope": .string("read"), "department": .string("finance"),
                    "email": .string("a@x"),
                ]
                for (key, value) in overrides { claims[key] = value }
                return try await F.signed(claims, typ: typ)
            }
            let good = try await F.exchange(a, subject: try await idToken(), type: TokenTypeIdentifier.idToken)
            #expect(good.status == .ok, "\(good.json)")
            let grant = try #require(good.json["access_token"] as? String)
            let grantClaims = try F.claims(grant)
            #expect(grantClaims.string("sub") == "alice")
            #expect(grantClaims.string("department") == "finance")
            #expect(grantClaims["email"] == nil)
            let redeemed = try await F.redeem(b, grant: grant)
            #expect(redeemed.status == .ok)
            let access = try F.claims(try #require(redeemed.json["access_token"] as? String))
            #expect(access.string("a/department") == "finance")
            #expect(access.string("sub") == "alice")

            let wrongAudience = try await F.exchange(
                a,
                subject: try await idToken(["aud": .string("https://elsewhere.test")]),
                type: TokenTypeIdentifier.jwt
            )
            #expect(wrongAudience.error == "invalid_request")
            #expect(wrongAudience.description.contains("aud"))
            let expired = try await F.exchange(a, subject: try await idToken(["exp": .number(now - 120)]), type: TokenTypeIdentifier.jwt)
            #expect(expired.description.contains("expired"))
            let otherClient = try await F.exchange(a, subject: try await idToken(), type: TokenTypeIdentifier.jwt, as: "other")
            #expect(otherClient.description.contains("not issued to this client"))
            let dpopTyped = try await F.exchange(a, subject: try await idToken(typ: "dpop+jwt"), type: TokenTypeIdentifier.jwt)
            #expect(dpopTyped.error == "invalid_request")
            let untrusted = try await F.exchange(
                a,
                subject: try await idToken(["iss": .string("https://evil.test")]),
                type: TokenTypeIdentifier.jwt
            )
            #expect(untrusted.description.contains("not trusted"))
            let asAccessToken = try await F.exchange(a, subject: try await idToken(), type: TokenTypeIdentifier.accessToken)
            #expect(asAccessToken.error == "invalid_request")
        }
    }
}

/// Peer keys found through the peer's RFC 8414 metadata document.
@Suite struct ChainingMetadataDiscoveryTests {
    typealias F = ChainingFixture

    @Test func peerKeysComeFromItsMetadata() async throws {
        let fixture = try await F.make(configureB: { configuration in
            configuration.chaining.peers[0].jwksURI = nil
            configuration.chaining.peers[0].metadataURL = F.issuerA + "/.well-known/oauth-authorization-server"
        })
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let response = try await F.redeem(b, grant: grant)
            #expect(response.status == .ok, "\(response.json)")
        }
    }

    @Test func metadataNamingAnotherIssuerIsRefused() async throws {
        let fixture = try await F.make(configureB: { configuration in
            configuration.chaining.peers[0].jwksURI = nil
            configuration.chaining.peers[0].metadataURL = "https://impostor.test/metadata"
        })
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let response = try await F.redeem(b, grant: grant)
            #expect(response.error == "invalid_grant")
            #expect(response.description.contains("another issuer"))
        }
    }
}

/// A peer whose keys cannot be fetched right now: the grant may be good, so the client is told to
/// retry (`503 temporarily_unavailable`, RFC 6749 §5.2 as the B.2 redeem path answers), not that
/// its grant is bad (`invalid_grant`).
@Suite struct ChainingUnreachablePeerKeysTests {
    typealias F = ChainingFixture

    @Test(
        arguments: [
            ("https://unreachable.test/jwks", nil),
            (nil, "https://unreachable.test/.well-known/oauth-authorization-server"),
        ] as [(String?, String?)]
    )
    func anUnreachablePeerKeySetIsTemporarilyUnavailable(_ jwksURI: String?, _ metadataURL: String?) async throws {
        let fixture = try await F.make(configureB: { configuration in
            configuration.chaining.peers[0].jwksURI = jwksURI
            configuration.chaining.peers[0].metadataURL = metadataURL
        })
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let response = try await F.redeem(b, grant: grant)
            #expect(response.status == .serviceUnavailable, "\(response.json)")
            #expect(response.error == "temporarily_unavailable")
        }
    }

    @Test func anUnreachableSubjectTokenIssuerIsTemporarilyUnavailable() async throws {
        let fixture = try await F.make(configureA: { configuration in
            configuration.chaining.subjectTokenIssuers[0].jwks = nil
            configuration.chaining.subjectTokenIssuers[0].jwksURI = "https://unreachable.test/jwks"
        })
        try await fixture.run { a, _ in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let idToken = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerA), "azp": .string("app"),
                "exp": .number(now + 60), "iat": .number(now),
            ])
            let response = try await F.exchange(a, subject: idToken, type: TokenTypeIdentifier.idToken)
            #expect(response.status == .serviceUnavailable, "\(response.json)")
            #expect(response.error == "temporarily_unavailable")
        }
    }
}

/// A trusted subject-token issuer's keys found through its discovery document.
@Suite struct ChainingSubjectIssuerDiscoveryTests {
    typealias F = ChainingFixture

    @Test func idTokenIssuerKeysComeFromItsMetadata() async throws {
        let fixture = try await F.make(configureA: { configuration in
            configuration.chaining.subjectTokenIssuers[0].jwks = nil
            configuration.chaining.subjectTokenIssuers[0].metadataURL = F.externalIssuer + "/.well-known/openid-configuration"
        })
        try await fixture.run { a, _ in
            let now = Double(Int(fixture.clock.now.timeIntervalSince1970))
            let idToken = try await F.signed([
                "iss": .string(F.externalIssuer), "sub": .string("alice"), "aud": .string(F.issuerA), "azp": .string("app"),
                "iat": .number(now), "exp": .number(now + 300), "scope": .string("read"),
            ])
            let response = try await F.exchange(a, subject: idToken, type: TokenTypeIdentifier.idToken)
            #expect(response.status == .ok, "\(response.json)")
        }
    }
}
