import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Testing
import TesseraEngine
import TesseraProtocol
import TesseraResource
import TesseraTesting

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

    /// A port nobody listens on now (bind to 0, read it back, close).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard bound == 0, named == 0 else { throw TesseraProcess.Failure(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct Domains {
        let a: TesseraProcess
        let b: TesseraProcess
        let directoryA: URL
        let issuerA: String
        let issuerB: String

        func stop() async throws {
            try await a.stop()
            try await b.stop()
        }
    }

    static func start() async throws -> Domains {
        let (portA, portB) = (try freePort(), try freePort())
        let issuerA = "http://127.0.0.1:\(portA)"
        let issuerB = "http://127.0.0.1:\(portB)"
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-chaining-\(UUID().uuidString)")
        let directoryA = root.appendingPathComponent("a")
        let directoryB = root.appendingPathComponent("b")
        for directory in [directoryA, directoryB] { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        let configA = directoryA.appendingPathComponent("tessera.yaml").path
        try """
        issuer: \(issuerA)
        clients:
          - {id: app, auth: client_secret_basic, secret: \(secret), grant_types: [client_credentials, "\(exchange)"], scopes: read write}
          - {id: other, auth: client_secret_basic, secret: \(secret), grant_types: [client_credentials, "\(exchange)"], scopes: read write}
        chaining:
          domain: a
          grant_lifetime: 5
          peers:
            - name: b
              issuer: \(issuerB)
              audiences: [\(issuerB), \(issuerB)/token]
            - name: c
              issuer: https://as-c.test
        """.write(toFile: configA, atomically: true, encoding: .utf8)
        let configB = directoryB.appendingPathComponent("tessera.yaml").path
        try """
        issuer: \(issuerB)
        clients:
          - {id: app, auth: client_secret_basic, secret: \(secret), grant_types: ["\(jwtBearer)"], scopes: read write}
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
        return Domains(a: a, b: b, directoryA: directoryA, issuerA: issuerA, issuerB: issuerB)
    }

    static func basic(_ id: String = "app") -> String { TestClients.basicAuthorization(id: id, secret: secret) }

    static func form(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(FormParameters.encode($0.0))=\(FormParameters.encode($0.1))" }.joined(separator: "&")
    }

    static func accessToken(_ domains: Domains, as id: String = "app", scope: String = "read write") async throws -> String {
        let (_, body) = try await Web.post(domains.issuerA + "/token", form: form([("grant_type", "client_credentials"), ("scope", scope)]), basic: basic(id))
        return try #require(body["access_token"] as? String)
    }

    static func exchangeFor(_ domains: Domains, subject: String, as id: String = "app", extra: [(String, String)]? = nil) async throws -> (Int, [String: Any]) {
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
        try await Web.post(domains.issuerB + "/token", form: form([("grant_type", jwtBearer), ("assertion", grant)] + extra), basic: basic())
    }

    static func claims(_ token: String) throws -> JWTClaimSet { try JWTClaimSet(payload: try CompactJWS(parsing: token).payload) }

    @Test func chainAcrossTwoServersAndRefuseTheAttacks() async throws {
        let domains = try await Self.start()
        do {
            // Happy path: token at A, grant for B from A, access token from B.
            let token = try await Self.accessToken(domains)
            let (exchangeStatus, exchanged) = try await Self.exchangeFor(domains, subject: token, extra: [("audience", domains.issuerB), ("scope", "read")])
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
            #expect((replayed["error_description"] as? String)?.contains("jti") == true)

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
                ["iss": JSONValue.string("https://evil.test"), "sub": .string("app"), "aud": .string(domains.issuerB), "exp": .number(Double(now + 30)), "jti": .string("r1")],
                type: "JWT"
            )
            let (_, untrusted) = try await Self.redeem(domains, grant: rogue)
            #expect((untrusted["error_description"] as? String)?.contains("not a trusted peer") == true)

            // Up-scoping at A and at B.
            let readOnly = try await Self.accessToken(domains, scope: "read")
            let (_, upAtA) = try await Self.exchangeFor(domains, subject: readOnly, extra: [("audience", domains.issuerB), ("scope", "read write")])
            #expect(upAtA["error"] as? String == "invalid_scope")
            let (_, narrow) = try await Self.exchangeFor(domains, subject: readOnly)
            let (_, upAtB) = try await Self.redeem(domains, grant: try #require(narrow["access_token"] as? String), extra: [("scope", "write")])
            #expect(upAtB["error"] as? String == "invalid_scope")

            // A domain-A token stolen by another client.
            let (_, stolen) = try await Self.exchangeFor(domains, subject: token, as: "other")
            #expect(stolen["error"] as? String == "invalid_request")

            // A refresh token at B: never issued, and the grant type is not open to the client.
            let (_, refresh) = try await Web.post(domains.issuerB + "/token", form: "grant_type=refresh_token&refresh_token=x", basic: Self.basic())
            #expect(refresh["error"] as? String == "unauthorized_client")

            // An expired grant (A mints for 5 s; B allows 1 s of skew).
            let (_, late) = try await Self.exchangeFor(domains, subject: token)
            try await Task.sleep(for: .seconds(7))
            let (_, expired) = try await Self.redeem(domains, grant: try #require(late["access_token"] as? String))
            #expect((expired["error_description"] as? String)?.contains("expired") == true)

            // Key rotation at A: B meets an unknown kid, refetches A's JWKS and accepts the grant.
            let (rotateStatus, rotateOutput) = try TesseraProcess.run(["keys", "rotate", "--data-dir", domains.directoryA.path])
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
            request.body = .bytes(ByteBuffer(string: Self.form([
                ("grant_type", Self.exchange), ("subject_token", token), ("subject_token_type", TokenTypeIdentifier.accessToken), ("audience", domains.issuerB),
            ])))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try JSONSerialization.jsonObject(with: Data(buffer: try await response.body.collect(upTo: 1 << 20))) as? [String: Any] ?? [:]
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
                method: "GET", uri: url, authorization: ["DPoP " + accessB], dpop: [key.proof(method: "GET", uri: url, accessToken: accessB)]
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
                method: "GET", uri: url, authorization: ["DPoP " + accessB], dpop: [thief.proof(method: "GET", uri: url, accessToken: accessB)]
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

    /// `tessera demo chaining` runs from a fresh checkout (in-memory servers) and ends with RS-B's answer.
    @Test func demoWalksTheWholeFlow() throws {
        let (status, output) = try TesseraProcess.run(["demo", "chaining"])
        #expect(status == 0)
        #expect(output.contains("\"presented_as\":\"DPoP\""))
        #expect(output.contains("was already used"))
        #expect(output.contains("HTTP 401"))
    }
}
