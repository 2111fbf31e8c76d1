import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import TesseraEngine
import TesseraProtocol
import TesseraResource
import TesseraServer
import TesseraTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Two `tessera serve` processes configured as two trust domains (draft-ietf-oauth-identity-chaining):
/// a client of domain A exchanges its token at AS-A for a JWT authorization grant for AS-B and
/// redeems it at AS-B over real HTTP (AS-B finds AS-A's keys through AS-A's RFC 8414 metadata); then the attacks.
@Suite(.serialized) struct ChainingProcessTests {
    static let secret = TestClients.secret
    static let exchange = GrantType.tokenExchange.rawValue
    static let jwtBearer = GrantType.jwtBearer.rawValue

    struct Domains {
        var a: TesseraProcess
        let b: TesseraProcess
        let directoryA: URL
        /// A's config file and the ports it names (A, B, down), to restart A with another grant lifetime.
        let configA: String
        let portsABDown: (Int, Int, Int)
        let issuerA: String
        let issuerB: String
        /// A's, B's and the down peer's ports, held from before the servers start (FreePort.reserve):
        /// nothing else takes them meanwhile, and nothing ever listens on the down peer's.
        let ports: [FreePort.Reservation]

        /// Restarts A on its port and data directory (same keys) with `grantLifetime`.
        /// - Parameter grantLifetime: `chaining.grant_lifetime`, in seconds.
        /// - Throws: when A cannot be stopped, its config written, or it does not start again.
        mutating func restartA(grantLifetime: Int) async throws {
            try await a.stop()
            let (portA, portB, portDown) = portsABDown
            try ChainingProcessTests.configA(portA: portA, portB: portB, portDown: portDown, grantLifetime: grantLifetime)
                .write(toFile: configA, atomically: true, encoding: .utf8)
            a = try await TesseraProcess(["--config", configA, "--data-dir", directoryA.path], port: "\(portA)")
        }

        func stop() async throws {
            try await a.stop()
            try await b.stop()
            for port in ports { port.release() }
        }
    }

    /// Domain A's config. The grant lifetime is long (300 s, the most B accepts) for every grant that
    /// must be redeemed: under heavy load a 20 s grant expired between its exchange and its redemption.
    /// - Parameters:
    ///   - portA: A's port.
    ///   - portB: B's port.
    ///   - portDown: a port nothing listens on.
    ///   - grantLifetime: `chaining.grant_lifetime`, in seconds.
    /// - Returns: the YAML text.
    static func configA(portA: Int, portB: Int, portDown: Int, grantLifetime: Int) -> String {
        let issuerA = "http://127.0.0.1:\(portA)"
        let issuerB = "http://127.0.0.1:\(portB)"
        return """
            issuer: \(issuerA)
            clients:
              - {id: app, auth: client_secret_basic, secret: \(secret), grant_types: [client_credentials, "\(exchange)"], scopes: read write}
              - {id: other, auth: client_secret_basic, secret: \(secret), grant_types: [client_credentials, "\(exchange)"], scopes: read write}
              - {id: rs-a, auth: client_secret_basic, secret: \(secret), grant_types: [client_credentials, "\(exchange)"], scopes: read write}
            chaining:
              domain: a
              grant_lifetime: \(grantLifetime)
              delegation_clients: [rs-a]
              peers:
                - name: b
                  issuer: \(issuerB)
                  audiences: [\(issuerB), \(issuerB)/token]
                  metadata_url: \(issuerB)/.well-known/oauth-authorization-server
                  redeem: {client_id: as-a, authentication: private_key_jwt}
                - name: c
                  issuer: https://as-c.test
                - name: down
                  issuer: https://as-down.test
                  redeem: {client_id: as-a, authentication: client_secret_basic, client_secret: x, token_endpoint: "http://127.0.0.1:\(portDown)/token"}
                - name: strict
                  issuer: https://as-strict.test
                  redeem: {client_id: as-a, authentication: client_secret_basic, client_secret: wrong, token_endpoint: "\(issuerB)/token"}
                - name: misrouted
                  issuer: https://as-misrouted.test
                  redeem: {client_id: as-a, authentication: private_key_jwt, token_endpoint: "\(issuerB)/no-such-endpoint"}
            """
    }

    static func start() async throws -> Domains {
        let ports = try (0..<3).map { _ in try FreePort.reserve(host: "127.0.0.1") }
        let (portA, portB, portDown) = (ports[0].port, ports[1].port, ports[2].port)
        let issuerA = "http://127.0.0.1:\(portA)"
        let issuerB = "http://127.0.0.1:\(portB)"
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-chaining-\(UUID().uuidString)")
        let directoryA = root.appendingPathComponent("a")
        let directoryB = root.appendingPathComponent("b")
        for directory in [directoryA, directoryB] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        let configA = directoryA.appendingPathComponent("tessera.yaml").path
        try Self.configA(portA: portA, portB: portB, portDown: portDown, grantLifetime: 300)
            .write(toFile: configA, atomically: true, encoding: .utf8)
        let configB = directoryB.appendingPathComponent("tessera.yaml").path
        try """
        issuer: \(issuerB)
        clients:
          - {id: app, auth: client_secret_basic, secret: \(secret), grant_types: ["\(jwtBearer)"], scopes: read write}
          - {id: rs-a, auth: client_secret_basic, secret: \(secret), grant_types: ["\(jwtBearer)"], scopes: read}
          - {id: as-a, auth: private_key_jwt, jwks_uri: "\(issuerA)/jwks", grant_types: ["\(jwtBearer)"], scopes: read}
        outbound_network:
          allowed_networks: ["127.0.0.1/32"]
        chaining:
          domain: b
          clock_skew: 1
          jwks_refetch_interval: 1
          peers:
            - name: a
              issuer: \(issuerA)
              metadata_url: \(issuerA)/.well-known/oauth-authorization-server
              inbound:
                subject_map: {app: app@a}
        """.write(toFile: configB, atomically: true, encoding: .utf8)
        let a = try await TesseraProcess(["--config", configA, "--data-dir", directoryA.path], port: "\(portA)")
        let b = try await TesseraProcess(["--config", configB, "--data-dir", directoryB.path], port: "\(portB)")
        return Domains(
            a: a,
            b: b,
            directoryA: directoryA,
            configA: configA,
            portsABDown: (portA, portB, portDown),
            issuerA: issuerA,
            issuerB: issuerB,
            ports: ports
        )
    }

    static func basic(_ id: String = "app") -> String { TestClients.basicAuthorization(id: id, secret: secret) }

    static func form(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(FormParameters.encode($0.0))=\(FormParameters.encode($0.1))" }.joined(separator: "&")
    }

    static func accessToken(_ domains: Domains, as id: String = "app", scope: String = "read write") async throws -> String {
        let (_, body) = try await Web.post(
            domains.issuerA + "/token",
            form: form([("grant_type", "client_credentials"), ("scope", scope)]),
            basic: basic(id)
        )
        return try #require(body["access_token"] as? String)
    }

    static func exchangeFor(
        _ domains: Domains,
        subject: String,
        as id: String = "app",
        extra: [(String, String)]? = nil
    ) async throws -> (Int, [String: Any]) {
        try await Web.post(
            domains.issuerA + "/token",
            form: form(
                [("grant_type", exchange), ("subject_token", subject), ("subject_token_type", TokenTypeIdentifier.accessToken)]
                    + (extra ?? [("audience", domains.issuerB)])
            ),
            basic: basic(id)
        )
    }

    static func redeem(_ domains: Domains, grant: String, extra: [(String, String)] = []) async throws -> (Int, [String: Any]) {
        try await Web.post(
            domains.issuerB + "/token",
            form: form([("grant_type", jwtBearer), ("assertion", grant)] + extra),
            basic: basic()
        )
    }

    /// POSTs a form with a DPoP proof of `key` for `url`.
    static func postDPoP(
        _ url: String,
        form pairs: [(String, String)],
        basic: String,
        key: DPoPProofSigner
    ) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Authorization", value: basic)
        request.headers.add(name: "DPoP", value: key.proof(method: "POST", uri: url))
        request.body = .bytes(ByteBuffer(string: form(pairs)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let body =
            try JSONSerialization.jsonObject(with: Data(buffer: try await response.body.collect(upTo: 1 << 20))) as? [String: Any] ?? [:]
        return (Int(response.status.code), body)
    }

    static func claims(_ token: String) throws -> JWTClaimSet { try JWTClaimSet(payload: try CompactJWS(parsing: token).payload) }

    @Test func chainAcrossTwoServersAndRefuseTheAttacks() async throws {
        var domains = try await Self.start()
        do {
            // Happy path: token at A, grant for B from A, access token from B.
            let token = try await Self.accessToken(domains)
            let (exchangeStatus, exchanged) = try await Self.exchangeFor(
                domains,
                subject: token,
                extra: [("audience", domains.issuerB), ("scope", "read")]
            )
            #expect(exchangeStatus == 200, "\(exchanged)")
            #expect(exchanged["token_type"] as? String == "N_A")
            #expect(exchanged["issued_token_type"] as? String == TokenTypeIdentifier.jwt)
            let grant = try #require(exchanged["access_token"] as? String)
            #expect(try Self.claims(grant).audience == [domains.issuerB])
            let (redeemStatus, redeemed) = try await Self.redeem(domains, grant: grant)
            #expect(redeemStatus == 200, "\(redeemed)")
            #expect(redeemed["refresh_token"] == nil)
            let access = try Self.claims(try #require(redeemed["access_token"] as? String))
            #expect(access.string("iss") == domains.issuerB)
            #expect(access.string("sub") == "app@a")
            #expect(access.string("scope") == "read")

            // The grant replayed.
            let (_, replayed) = try await Self.redeem(domains, grant: grant)
            #expect(replayed["error"] as? String == "invalid_grant")
            #expect((replayed["error_description"] as? String)?.contains("jti") == true, "\(replayed)")

            // A grant for another audience (peer c) presented at B.
            let (_, forC) = try await Self.exchangeFor(domains, subject: token, extra: [("audience", "https://as-c.test")])
            let (_, wrongAudience) = try await Self.redeem(domains, grant: try #require(forC["access_token"] as? String))
            #expect(wrongAudience["error"] as? String == "invalid_grant")

            // An access token presented as a grant.
            let (_, accessAsGrant) = try await Self.redeem(domains, grant: token)
            #expect(accessAsGrant["error"] as? String == "invalid_grant")

            // A grant from an issuer B does not trust.
            let now = Int(Date().timeIntervalSince1970)
            let rogue = try await JWSSigner(privateJWK: TestClients.jwtClientPrivateJWK, kid: "rogue", algorithm: .es256).sign(
                [
                    "iss": JSONValue.string("https://evil.test"), "sub": .string("app"), "aud": .string(domains.issuerB),
                    "exp": .number(Double(now + 30)), "jti": .string("r1"),
                ],
                type: "JWT"
            )
            let (_, untrusted) = try await Self.redeem(domains, grant: rogue)
            #expect((untrusted["error_description"] as? String)?.contains("not a trusted peer") == true)

            // Up-scoping at A and at B.
            let readOnly = try await Self.accessToken(domains, scope: "read")
            let (_, upAtA) = try await Self.exchangeFor(
                domains,
                subject: readOnly,
                extra: [("audience", domains.issuerB), ("scope", "read write")]
            )
            #expect(upAtA["error"] as? String == "invalid_scope")
            let (_, narrow) = try await Self.exchangeFor(domains, subject: readOnly)
            let (_, upAtB) = try await Self.redeem(
                domains,
                grant: try #require(narrow["access_token"] as? String),
                extra: [("scope", "write")]
            )
            #expect(upAtB["error"] as? String == "invalid_scope")

            // A domain-A token stolen by another client.
            let (_, stolen) = try await Self.exchangeFor(domains, subject: token, as: "other")
            #expect(stolen["error"] as? String == "invalid_request")

            // A refresh token at B: never issued, and the grant type is not open to the client.
            let (_, refresh) = try await Web.post(
                domains.issuerB + "/token",
                form: "grant_type=refresh_token&refresh_token=x",
                basic: Self.basic()
            )
            #expect(refresh["error"] as? String == "unauthorized_client")

            // Key rotation at A: B meets an unknown kid, refetches A's JWKS and accepts the grant. (Signing at
            // once: with the default publish delay A would sign with it only after 60 s.)
            let (rotateStatus, rotateOutput) = try await TesseraProcess.run([
                "keys", "rotate", "--publish-delay", "0", "--data-dir", domains.directoryA.path,
            ])
            #expect(rotateStatus == 0)
            let newKid = String(rotateOutput.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            var rotatedGrant: String?
            for _ in 0..<40 {
                let (_, body) = try await Self.exchangeFor(domains, subject: try await Self.accessToken(domains))
                if let candidate = body["access_token"] as? String, try CompactJWS(parsing: candidate).header.kid == newKid {
                    rotatedGrant = candidate
                    break
                }
                try await Task.sleep(for: .milliseconds(500))
            }
            let rotated = try #require(rotatedGrant, "A never signed with the rotated key \(newKid)")
            let (rotatedStatus, rotatedBody) = try await Self.redeem(domains, grant: rotated)
            #expect(rotatedStatus == 200, "\(rotatedBody)")

            // An expired grant: A restarted to mint for 2 s (B allows 1 s of skew). Real processes keep
            // real time, so wait until the grant's own `exp` plus the skew has passed, however slow the machine.
            try await domains.restartA(grantLifetime: 2)
            let (_, late) = try await Self.exchangeFor(domains, subject: try await Self.accessToken(domains))
            let lateGrant = try #require(late["access_token"] as? String)
            let lateClaims = try Self.claims(lateGrant)
            let lateExpiry = try #require(lateClaims.numericDate("exp"))
            #expect(lateExpiry - (lateClaims.numericDate("iat") ?? 0) == 2, "A mints for 2 s after the restart")
            let pastExpiry = Date(timeIntervalSince1970: TimeInterval(lateExpiry + 2)).timeIntervalSinceNow
            if pastExpiry > 0 { try await Task.sleep(for: .seconds(pastExpiry)) }
            let (_, expired) = try await Self.redeem(domains, grant: lateGrant)
            #expect(expired["error"] as? String == "invalid_grant")
            #expect((expired["error_description"] as? String)?.contains("expired") == true, "\(expired)")
        } catch {
            try await domains.stop()
            throw error
        }
        try await domains.stop()
    }

    /// The seed's appendix "authorization server acting as client": the client proves its DPoP key
    /// at AS-A, AS-A relays it in the grant as `requested_cnf`, AS-B binds its token to it (`cnf.jkt`),
    /// and a resource server of domain B (the resource-server SDK) accepts the token only with a
    /// proof from that key.
    @Test func authorizationServerActingAsClientCarriesTheClientsKey() async throws {
        let domains = try await Self.start()
        do {
            let key = DPoPProofSigner()
            let token = try await Self.accessToken(domains)
            var request = HTTPClientRequest(url: domains.issuerA + "/token")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.headers.add(name: "Authorization", value: Self.basic())
            request.headers.add(name: "DPoP", value: key.proof(method: "POST", uri: domains.issuerA + "/token"))
            request.body = .bytes(
                ByteBuffer(
                    string: Self.form([
                        ("grant_type", Self.exchange), ("subject_token", token), ("subject_token_type", TokenTypeIdentifier.accessToken),
                        ("audience", domains.issuerB),
                    ])
                )
            )
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body =
                try JSONSerialization.jsonObject(with: Data(buffer: try await response.body.collect(upTo: 1 << 20))) as? [String: Any]
                ?? [:]
            #expect(response.status.code == 200, "\(body)")
            let grant = try #require(body["access_token"] as? String)
            #expect(try Self.claims(grant).decode("requested_cnf", as: TesseraProtocol.Confirmation.self)?.jkt == key.thumbprint)

            let resource = "https://rs.b.test/api"
            let (status, redeemed) = try await Self.redeem(domains, grant: grant, extra: [("resource", resource)])
            #expect(status == 200, "\(redeemed)")
            #expect(redeemed["token_type"] as? String == "DPoP")
            let accessB = try #require(redeemed["access_token"] as? String)
            #expect(try Self.claims(accessB).decode("cnf", as: TesseraProtocol.Confirmation.self)?.jkt == key.thumbprint)

            let rs = OAuthResourceServer(configuration: .init(issuer: domains.issuerB, resource: resource))
            let url = resource + "/bookings"
            let withProof = ResourceRequest(
                method: "GET",
                uri: url,
                authorization: ["DPoP " + accessB],
                dpop: [key.proof(method: "GET", uri: url, accessToken: accessB)]
            )
            switch await rs.authorize(withProof, requiredScopes: Scope(["read"])) {
            case .success(let verified):
                #expect(verified.subject == "app@a")
                #expect(verified.confirmation?.jkt == key.thumbprint)
            case .failure(let refusal):
                Issue.record("RS-B refused the bound token: \(refusal)")
            }
            // Another key, or no proof at all: refused.
            let thief = DPoPProofSigner()
            let stolen = ResourceRequest(
                method: "GET",
                uri: url,
                authorization: ["DPoP " + accessB],
                dpop: [thief.proof(method: "GET", uri: url, accessToken: accessB)]
            )
            if case .success = await rs.authorize(stolen) { Issue.record("a proof from another key was accepted") }
            if case .success = await rs.authorize(ResourceRequest(method: "GET", uri: url, authorization: ["Bearer " + accessB])) {
                Issue.record("the DPoP-bound token was accepted as a bearer token")
            }
        } catch {
            try await domains.stop()
            throw error
        }
        try await domains.stop()
    }

    /// Appendix B.2 carried through: AS-A itself presents the grant at AS-B (as AS-B's client `as-a`,
    /// `private_key_jwt` with AS-A's own key, AS-B's token endpoint found in its metadata) and hands the
    /// client AS-B's DPoP-bound access token; AS-B's refusals and absence become clear errors at AS-A.
    @Test func authorizationServerRedeemsTheGrantItself() async throws {
        let domains = try await Self.start()
        do {
            let key = DPoPProofSigner()
            let token = try await Self.accessToken(domains)
            func exchange(
                audience: String,
                scope: String = "read",
                type: String? = TokenTypeIdentifier.accessToken
            ) async throws -> (Int, [String: Any]) {
                var pairs = [
                    ("grant_type", Self.exchange), ("subject_token", token), ("subject_token_type", TokenTypeIdentifier.accessToken),
                    ("audience", audience), ("scope", scope),
                ]
                if let type { pairs.append(("requested_token_type", type)) }
                return try await Self.postDPoP(domains.issuerA + "/token", form: pairs, basic: Self.basic(), key: key)
            }
            let (status, body) = try await exchange(audience: domains.issuerB)
            #expect(status == 200, "\(body)")
            #expect(body["token_type"] as? String == "DPoP")
            #expect(body["issued_token_type"] as? String == TokenTypeIdentifier.accessToken)
            #expect((body["expires_in"] as? Int ?? 0) > 0)
            #expect(body["refresh_token"] == nil)
            let accessB = try #require(body["access_token"] as? String)
            let claims = try Self.claims(accessB)
            #expect(claims.string("iss") == domains.issuerB)
            #expect(claims.string("sub") == "app@a")
            #expect(claims.string("client_id") == "as-a")
            #expect(claims.string("scope") == "read")
            #expect(claims.decode("cnf", as: TesseraProtocol.Confirmation.self)?.jkt == key.thumbprint)

            let rs = OAuthResourceServer(configuration: .init(issuer: domains.issuerB, resource: domains.issuerB))
            let url = "https://rs.b.test/api/bookings"
            let proven = ResourceRequest(
                method: "GET",
                uri: url,
                authorization: ["DPoP " + accessB],
                dpop: [key.proof(method: "GET", uri: url, accessToken: accessB)]
            )
            switch await rs.authorize(proven, requiredScopes: Scope(["read"])) {
            case .success(let verified): #expect(verified.subject == "app@a")
            case .failure(let refusal): Issue.record("RS-B refused the token AS-A obtained: \(refusal)")
            }
            let thief = DPoPProofSigner()
            let stolen = ResourceRequest(
                method: "GET",
                uri: url,
                authorization: ["DPoP " + accessB],
                dpop: [thief.proof(method: "GET", uri: url, accessToken: accessB)]
            )
            if case .success = await rs.authorize(stolen) { Issue.record("a proof from another key was accepted") }
            if case .success = await rs.authorize(ResourceRequest(method: "GET", uri: url, authorization: ["Bearer " + accessB])) {
                Issue.record("the DPoP-bound token was accepted as a bearer token")
            }

            // Without requested_token_type, or asking for jwt: the grant itself, as before.
            for type in [nil, TokenTypeIdentifier.jwt] {
                let (_, grant) = try await exchange(audience: domains.issuerB, type: type)
                #expect(grant["token_type"] as? String == "N_A")
                #expect(grant["issued_token_type"] as? String == TokenTypeIdentifier.jwt)
            }
            // A peer without redeem: only a grant.
            let (_, notRedeemed) = try await exchange(audience: "https://as-c.test")
            #expect(notRedeemed["error"] as? String == "invalid_request")

            // AS-B refuses (as-a may only get read there): invalid_target at A, naming the peer and B's error.
            let (refusedStatus, refused) = try await exchange(audience: domains.issuerB, scope: "write")
            #expect(refusedStatus == 400)
            #expect(refused["error"] as? String == "invalid_target")
            #expect(
                (refused["error_description"] as? String)?.contains("peer 'b' refused the authorization grant: invalid_scope") == true,
                "\(refused)"
            )
            // AS-B refuses the client authentication.
            let (_, strict) = try await exchange(audience: "https://as-strict.test")
            #expect(strict["error"] as? String == "invalid_target")
            #expect((strict["error_description"] as? String)?.contains("invalid_client") == true, "\(strict)")
            // A token endpoint that answers 404 without a JSON body.
            let (_, misrouted) = try await exchange(audience: "https://as-misrouted.test")
            #expect(misrouted["error"] as? String == "invalid_target")
            #expect((misrouted["error_description"] as? String)?.contains("HTTP 404") == true, "\(misrouted)")
            // AS-B unreachable: temporarily_unavailable (HTTP 503), never a 500.
            let (downStatus, down) = try await exchange(audience: "https://as-down.test")
            #expect(downStatus == 503)
            #expect(down["error"] as? String == "temporarily_unavailable")
            #expect((down["error_description"] as? String)?.contains("peer 'down' could not be reached") == true, "\(down)")

            // Metadata says access tokens can be requested for peers.
            let (_, metadata) = try await Web.get(domains.issuerA + "/.well-known/oauth-authorization-server")
            #expect(
                (metadata["identity_chaining_requested_token_types_supported"] as? [String])?.contains(TokenTypeIdentifier.accessToken)
                    == true
            )
        } catch {
            try await domains.stop()
            throw error
        }
        try await domains.stop()
    }

    /// Appendix B.1, "resource server acting as client": RS-A, serving a request with an inbound
    /// access token of domain A, exchanges it at AS-A (delegation: its own token as `actor_token`,
    /// its DPoP key proven), redeems the grant at AS-B itself, and calls RS-B, which sees the user
    /// and RS-A in the `act` chain and accepts the token only with RS-A's key.
    @Test func resourceServerActingAsClient() async throws {
        let domains = try await Self.start()
        do {
            let resourceA = "https://rs.a.test/api"
            let (_, userToken) = try await Web.post(
                domains.issuerA + "/token",
                form: Self.form([("grant_type", "client_credentials"), ("scope", "read"), ("resource", resourceA)]),
                basic: Self.basic()
            )
            let inbound = try #require(userToken["access_token"] as? String)
            let rsA = OAuthResourceServer(configuration: .init(issuer: domains.issuerA, resource: resourceA))
            guard
                case .success(let caller) = await rsA.authorize(
                    ResourceRequest(method: "GET", uri: resourceA + "/trips", authorization: ["Bearer " + inbound]),
                    requiredScopes: Scope(["read"])
                )
            else {
                Issue.record("RS-A refused the inbound token")
                try await domains.stop()
                return
            }
            #expect(caller.subject == "app")

            let key = DPoPProofSigner()
            let own = try await Self.accessToken(domains, as: "rs-a", scope: "read")
            let (exchangeStatus, exchanged) = try await Self.postDPoP(
                domains.issuerA + "/token",
                form: [
                    ("grant_type", Self.exchange), ("subject_token", inbound), ("subject_token_type", TokenTypeIdentifier.accessToken),
                    ("actor_token", own), ("actor_token_type", TokenTypeIdentifier.accessToken), ("audience", domains.issuerB),
                    ("scope", "read"),
                ],
                basic: Self.basic("rs-a"),
                key: key
            )
            #expect(exchangeStatus == 200, "\(exchanged)")
            let grant = try #require(exchanged["access_token"] as? String)
            let grantClaims = try Self.claims(grant)
            #expect(grantClaims.decode("act", as: ActorClaim.self)?.sub == "rs-a")
            #expect(grantClaims.decode("requested_cnf", as: TesseraProtocol.Confirmation.self)?.jkt == key.thumbprint)

            let resourceB = "https://rs.b.test/api"
            let (redeemStatus, redeemed) = try await Self.postDPoP(
                domains.issuerB + "/token",
                form: [("grant_type", Self.jwtBearer), ("assertion", grant), ("resource", resourceB)],
                basic: Self.basic("rs-a"),
                key: key
            )
            #expect(redeemStatus == 200, "\(redeemed)")
            #expect(redeemed["token_type"] as? String == "DPoP")
            let accessB = try #require(redeemed["access_token"] as? String)

            let rsB = OAuthResourceServer(configuration: .init(issuer: domains.issuerB, resource: resourceB))
            let url = resourceB + "/bookings"
            switch await rsB.authorize(
                ResourceRequest(
                    method: "GET",
                    uri: url,
                    authorization: ["DPoP " + accessB],
                    dpop: [key.proof(method: "GET", uri: url, accessToken: accessB)]
                ),
                requiredScopes: Scope(["read"])
            ) {
            case .success(let verified):
                #expect(verified.subject == "app@a")
                #expect(verified.actor?.sub == "rs-a")
                #expect(verified.confirmation?.jkt == key.thumbprint)
            case .failure(let refusal):
                Issue.record("RS-B refused RS-A's token: \(refusal)")
            }
            // The inbound domain-A token is worthless at RS-B, and RS-B's token needs RS-A's key.
            if case .success = await rsB.authorize(ResourceRequest(method: "GET", uri: url, authorization: ["Bearer " + inbound])) {
                Issue.record("RS-B accepted a domain-A token")
            }
            let other = DPoPProofSigner()
            if case .success = await rsB.authorize(
                ResourceRequest(
                    method: "GET",
                    uri: url,
                    authorization: ["DPoP " + accessB],
                    dpop: [other.proof(method: "GET", uri: url, accessToken: accessB)]
                )
            ) {
                Issue.record("RS-B accepted RS-A's token with another key")
            }
        } catch {
            try await domains.stop()
            throw error
        }
        try await domains.stop()
    }

    /// `tessera demo chaining` runs from a fresh checkout (in-memory servers) and ends with RS-B's answer.
    @Test func demoWalksTheWholeFlow() async throws {
        let (status, output) = try await TesseraProcess.run(["demo", "chaining"])
        #expect(status == 0)
        #expect(output.contains("\"presented_as\":\"DPoP\""))
        #expect(output.contains("was already used"))
        #expect(output.contains("HTTP 401"))
    }
}
