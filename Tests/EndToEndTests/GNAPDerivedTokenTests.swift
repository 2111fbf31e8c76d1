import Foundation
import HTTPMessageSignatures
import TesseraClient
import TesseraProtocol
import TesseraResource
import Testing

/// RFC 9767 §4 over real HTTP: a resource server that received a token asks the AS for a derived token
/// for a downstream RS, with the RS SDK. Attacks first: more access than the parent, a revoked parent, an
/// unregistered RS, an RS the token was not meant for, the wrong key, a replayed request.
extension GNAPClientEndToEndTests {
    static let rs2 = "https://rs2.example/"

    static func photoAPI(_ actions: [String], at locations: [String]) -> GNAPAccessRight {
        .object(GNAPAccessObject(type: "photo-api", actions: actions, locations: locations))
    }

    /// The client's token, meant for both RSs, for photo-api read and print.
    func parentToken(_ server: Server, locations: [String] = ["https://rs.example/", rs2]) async throws -> (GNAPClient, GNAPAccessToken) {
        let gnap = client(server)
        let grant = try await gnap.requestGrant(
            GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [Self.photoAPI(["read", "print"], at: locations)])))
        )
        return (gnap, try #require(grant.tokens.first))
    }

    func downstreamRS(_ server: Server) -> GNAPResourceServer {
        var configuration = GNAPResourceServer.Configuration(asBaseURL: server.base, resourceServer: .instance("photos-rs2"))
        configuration.introspectionCacheLifetime = .zero
        return GNAPResourceServer(configuration: configuration, key: rs2Key)
    }

    /// The AS's error code from a refused SDK call.
    func refusal(_ call: () async throws -> Void) async -> GNAPError.Code? {
        do {
            try await call()
            return nil
        } catch let error as GNAPResourceError {
            return error.gnapError?.code
        } catch {
            return GNAPError.Code(rawValue: "unexpected: \(error)")
        }
    }

    @Test func aDerivedTokenNarrowsItsParentAndDiesWithIt() async throws {
        try await withServer { server in
            let (gnap, parent) = try await parentToken(server)
            let rs = resourceServer(server)
            let derived = try await rs.deriveToken(from: parent.value, access: [Self.photoAPI(["read"], at: [Self.rs2])])
            let claims = try Self.claims(derived.value)
            let parentClaims = try Self.claims(parent.value)
            #expect((claims["aud"] as? String ?? (claims["aud"] as? [String])?.first) == Self.rs2)
            #expect(claims["sub"] as? String == parentClaims["sub"] as? String, "the derived token acts for the same resource owner")
            #expect(claims["client_id"] as? String == "photos-rs")
            #expect((claims["exp"] as? Int ?? 0) <= (parentClaims["exp"] as? Int ?? 0), "never outlives its parent")
            let cnf = try #require(claims["cnf"] as? [String: Any])
            #expect(cnf["jkt"] as? String == (try rsKey.publicJWK.thumbprint()), "bound to the deriving RS's own key")

            let downstream = downstreamRS(server)
            let before = try await downstream.introspect(token: derived.value, proof: "httpsig")
            #expect(before.active)
            #expect(before.instanceID == "photos-rs")

            try await gnap.revoke(parent)
            let after = try await downstream.introspect(token: derived.value, proof: "httpsig")
            #expect(!after.active, "revoking the parent revokes the derived token (cascade along the ledger edge)")
            // And nothing more can be derived from the revoked parent.
            let code = await refusal { _ = try await rs.deriveToken(from: parent.value, access: [Self.photoAPI(["read"], at: [Self.rs2])]) }
            #expect(code == .invalidRequest)
        }
    }

    @Test func anOwnersForbidOnExchangeRefusesADerivedTokenAsAtTheTokenEndpoint() async throws {
        // RFC 8693 exchange at /token asks Action::"exchange"; deriving through GNAP (RFC 9767 §4) is the same
        // act, so the owner's rule holds at both doors (it did not: the derivation asked no policy).
        let policy = #"forbid (principal == Client::"photos-rs", action == Action::"exchange", resource);"#
        try await withServer(policy: policy) { server in
            let (_, parent) = try await parentToken(server)
            let code = await refusal {
                _ = try await resourceServer(server).deriveToken(from: parent.value, access: [Self.photoAPI(["read"], at: [Self.rs2])])
            }
            #expect(code == .requestDenied)
        }
    }

    @Test func anOwnersForbidOnRefreshRefusesARotationAsAtTheTokenEndpoint() async throws {
        // A rotated value lives a new lifetime, as a refreshed OAuth token does (Action::"refresh" at /token);
        // the owner's rule holds for GNAP rotation (RFC 9635 §6.1) too (it did not: rotation asked no policy).
        let policy = #"forbid (principal == Client::"e2e-agent", action == Action::"refresh", resource);"#
        try await withServer(policy: policy) { server in
            let (gnap, token) = try await parentToken(server)
            do {
                _ = try await gnap.rotate(token)
                Issue.record("the rotation was granted")
            } catch let error as GNAPClientError {
                #expect(error.gnapError?.code == .requestDenied)
            }
            #expect(try await resourceServer(server).introspect(token: token.value, proof: "httpsig").active, "the token itself stays")
        }
    }

    @Test func aDerivedTokenWiderThanItsParentIsRefused() async throws {
        try await withServer { server in
            let (_, parent) = try await parentToken(server)
            let rs = resourceServer(server)
            let wider: [[GNAPAccessRight]] = [
                [Self.photoAPI(["read", "delete"], at: [Self.rs2])],  // an action the parent lacks
                [Self.photoAPI(["read"], at: ["https://rs3.example/"])],  // another audience
                [.object(GNAPAccessObject(type: "photo-api", actions: ["read"]))],  // no locations: unrestricted
                [.object(GNAPAccessObject(type: "billing", actions: ["read"], locations: [Self.rs2]))],  // another type
                [.reference("photo-api")],  // a reference the parent does not carry
            ]
            for access in wider {
                let code = await refusal { _ = try await rs.deriveToken(from: parent.value, access: access) }
                #expect(code == .requestDenied, "refused: \(access)")
            }
        }
    }

    @Test func onlyARegisteredRSTheTokenIsMeantForProvingItsOwnKeyMayDerive() async throws {
        try await withServer { server in
            let (gnap, parent) = try await parentToken(server, locations: ["https://rs.example/"])
            let access = [Self.photoAPI(["read"], at: ["https://rs.example/"])]

            // An RS nobody registered, presenting its key by value.
            let strangerKey = GNAPKeyPair.generate(.ed25519, keyID: "stranger")
            var configuration = GNAPResourceServer.Configuration(asBaseURL: server.base, resourceServer: .key(strangerKey.gnapKey))
            configuration.introspectionCacheLifetime = .zero
            let stranger = GNAPResourceServer(configuration: configuration, key: strangerKey)
            #expect(await refusal { _ = try await stranger.deriveToken(from: parent.value, access: access) } == .invalidClient)

            // A registered RS the token is not meant for (its audience is rs.example only).
            #expect(await refusal { _ = try await downstreamRS(server).deriveToken(from: parent.value, access: access) } == .requestDenied)

            // The right RS id, signed with another key.
            var impostorConfiguration = GNAPResourceServer.Configuration(asBaseURL: server.base, resourceServer: .instance("photos-rs"))
            impostorConfiguration.introspectionCacheLifetime = .zero
            let impostor = GNAPResourceServer(configuration: impostorConfiguration, key: GNAPKeyPair.generate(.ed25519, keyID: "rs-1"))
            #expect(await refusal { _ = try await impostor.deriveToken(from: parent.value, access: access) } == .invalidClient)

            // A client instance (not a resource server) presenting a token.
            var request = GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: access)))
            request.existingAccessToken = parent.value
            await #expect(throws: (any Error).self) { _ = try await gnap.requestGrant(request) }

            // Something that is not one of our access tokens.
            #expect(
                await refusal { _ = try await resourceServer(server).deriveToken(from: "not-a-token", access: access) } == .invalidRequest
            )
            // The registered RS for this token gets its narrowed token.
            _ = try await resourceServer(server).deriveToken(from: parent.value, access: access)
        }
    }

    @Test func aReplayedDerivationRequestIsRefused() async throws {
        try await withServer { server in
            let (_, parent) = try await parentToken(server)
            var body = GNAPGrantRequest(
                accessToken: .single(GNAPTokenRequest(access: [Self.photoAPI(["read"], at: [Self.rs2])])),
                client: .instance("photos-rs")
            )
            body.existingAccessToken = parent.value
            var request = try HTTPSignatureRequest(
                method: "POST",
                targetURI: server.base + "/gnap",
                headerFields: [HTTPSignatureField(name: "Content-Type", value: "application/json")],
                body: Array(try JSONEncoder().encode(body))
            )
            try rsKey.signer(now: { Date() }).sign(&request)
            let transport = AsyncHTTPClientTransport()
            let first = try await transport.send(request)
            #expect(first.status == 200)
            let replayed = try await transport.send(request)
            #expect(replayed.status == 401)
            let error = try JSONDecoder().decode(GNAPErrorBody.self, from: Data(replayed.body))
            #expect(error.error.code == GNAPError.Code.invalidClient.rawValue, "a signature is single use (its nonce is spent)")
        }
    }
}
