// swift-format-ignore-file: NeverForceUnwrap, NeverUseForceTry

// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import AsyncHTTPClient
import Foundation
import HTTPMessageSignatures
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOSSL
import TesseraClient
import TesseraEngine
import TesseraProtocol
import TesseraResource
import TesseraResourceHummingbird
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// The GNAP `mtls` proof (RFC 9635 §7.3.2) end to end over real TLS: `tessera`'s own TLS termination asking
/// for client certificates, the client SDK presenting a self-signed certificate through AsyncHTTPClient, tokens
/// bound with `cnf.x5t#S256` (RFC 8705 §3.1), continuation, rotation and revocation over mTLS, the RS SDK
/// checking the certificate, and refusals for a wrong or missing certificate.
@Suite(.serialized) struct GNAPMutualTLSTests {
    static let photos = GNAPAccessRight.object(GNAPAccessObject(type: "photo-api", actions: ["read"], locations: ["https://rs.example/"]))
    let rsKey = GNAPKeyPair.generate(.ed25519, keyID: "rs-1")

    struct Fixture {
        let base: String
        let serverCertificate: TestCertificate
        let engine: GrantEngine
    }

    /// Runs `body` against an in-process server terminating TLS with `client_certificates: optional`, with one
    /// registered instance proving with `mtls` by `registered`'s certificate.
    /// A resource server that proves its own key with mtls at introspection (RFC 9767 §3.3).
    static let rsCertificate = try! TestCertificate.selfSigned(commonName: "photos-rs-mtls")

    func withTLSServer(registered: TestCertificate, _ body: @escaping @Sendable (Fixture) async throws -> Void) async throws {
        let server = try TestCertificate.selfSigned(commonName: "localhost", server: true)
        let files = try server.writeFiles()
        let rsKey = self.rsKey
        let app = try await TestServer.build(configure: { configuration in
            configuration.tls = TLSSettings(
                certificateChainFile: files.certificate,
                privateKeyFile: files.key,
                clientCertificates: .optional
            )
            configuration.gnap.continuationWait = 0
            configuration.gnap.instances = [
                .init(
                    id: "mtls-agent",
                    key: GNAPKey(proof: GNAPProof(method: "mtls"), cert: registered.certificatePEM),
                    allowedAccess: ["photo-api"]
                )
            ]
            configuration.gnap.resourceServers = [
                .init(id: "photos-rs", key: rsKey.gnapKey, audiences: ["https://rs.example/"]),
                .init(
                    id: "photos-rs-mtls",
                    key: GNAPKey(proof: GNAPProof(method: "mtls"), cert: Self.rsCertificate.certificatePEM),
                    audiences: ["https://rs.example/"]
                ),
            ]
        })
        #expect(app.baseURL.hasPrefix("https://"))
        let fixture = Fixture(base: app.baseURL, serverCertificate: server, engine: app.engine)
        // The real server on its configured port: the issuer (and so every URI the AS hands out) names it.
        let running = Task { try await app.application.runService(gracefulShutdownSignals: []) }
        defer { running.cancel() }
        let (probe, probeTransport) = try Self.client(fixture, certificate: registered, presenting: nil)
        var started = false
        for _ in 0..<100 where !started {
            started = (try? await probe.discover()) != nil
            if !started { try await Task.sleep(for: .milliseconds(50)) }
        }
        try await probeTransport.shutdown()
        try #require(started, "the TLS server did not start")
        try await body(fixture)
    }

    /// An SDK client proving with `certificate` over a transport that presents `presenting` (nil: no certificate).
    static func client(
        _ fixture: Fixture,
        certificate: TestCertificate,
        presenting: TestCertificate?
    ) throws -> (GNAPClient, AsyncHTTPClientTransport) {
        let transport: AsyncHTTPClientTransport
        if let presenting {
            transport = try .mutualTLS(
                certificateChainPEM: presenting.certificatePEM,
                privateKeyPEM: presenting.privateKeyPEM,
                trustRootsPEM: fixture.serverCertificate.certificatePEM
            )
        } else {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(fixture.serverCertificate.certificatePEM.utf8)))
            transport = AsyncHTTPClientTransport(
                client: HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            )
        }
        var configuration = GNAPClient.Configuration(grantEndpoint: fixture.base + "/gnap")
        configuration.mutualTLSCertificate = try GNAPCertificate(der: certificate.der)
        let client = GNAPClient(configuration: configuration, key: .generate(), transport: transport, sleep: { _ in })
        return (client, transport)
    }

    static func claims(_ jwt: String) throws -> [String: Any] {
        let parts = jwt.split(separator: ".")
        var payload = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let data = try #require(Data(base64Encoded: payload))
        let object = try JSONSerialization.jsonObject(with: data)
        return try #require(object as? [String: Any])
    }

    static func refusal(_ body: () async throws -> Void) async -> GNAPError? {
        do {
            try await body()
            return nil
        } catch let error as GNAPClientError {
            return error.gnapError
        } catch {
            return GNAPError("unexpected", "\(error)")
        }
    }

    @Test func grantOverMutualTLSIssuesCertificateBoundTokensThatRotateAndVerifyAtTheRS() async throws {
        let agent = try TestCertificate.selfSigned(commonName: "mtls-agent")
        let rsKey = self.rsKey
        try await withTLSServer(registered: agent) { fixture in
            let (gnap, transport) = try Self.client(fixture, certificate: agent, presenting: agent)
            defer { Task { try? await transport.shutdown() } }
            let discovery = try await gnap.discover()
            #expect(discovery.keyProofsSupported.contains("mtls"))

            let grant = try await gnap.requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [Self.photos]))))
            #expect(grant.instanceID == "mtls-agent")
            let token = try #require(grant.tokens.first)
            let thumbprint = GNAPCertificate.thumbprint(of: agent.der)
            let cnf = try #require(try Self.claims(token.value)["cnf"] as? [String: String])
            #expect(cnf == ["x5t#S256": thumbprint])

            // Continuation over mTLS: a new continuation token and the token again.
            let continuation = try #require(grant.continuation)
            let continued = try await gnap.continueGrant(continuation)
            #expect(continued.continuation?.accessToken != continuation.accessToken)
            #expect(continued.tokens.count == 1)

            // The RS sees the same certificate on its connection: accepted; any other certificate, or none: refused.
            var rsConfiguration = GNAPResourceServer.Configuration(asBaseURL: fixture.base, resourceServer: .instance("photos-rs"))
            rsConfiguration.introspectionCacheLifetime = .zero
            let rs = GNAPResourceServer(configuration: rsConfiguration, key: rsKey, transport: transport)
            var request = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
            try gnap.authorize(&request, with: token)
            #expect(request.headerFields.contains { $0.name.lowercased() == "signature" } == false)
            guard case .authorized(let granted) = await rs.verify(request, clientCertificate: agent.der) else {
                Issue.record("the RS must accept the token with the bound certificate")
                return
            }
            #expect(granted.introspection.key.flatMap { if case .value(let key) = $0 { key.cert } else { nil } } != nil)
            let other = try TestCertificate.selfSigned(commonName: "thief")
            guard case .refused(let stolen) = await rs.verify(request, clientCertificate: other.der) else {
                Issue.record("another certificate must be refused")
                return
            }
            #expect(stolen.reason == .invalidSignature)
            guard case .refused = await rs.verify(request) else {
                Issue.record("a cert-bound token without a certificate or signature must be refused")
                return
            }

            // An OAuth resource server (RFC 8705 §3): the Bearer token counts only with its certificate.
            let oauthRS = OAuthResourceServer(
                configuration: .init(issuer: fixture.base, resource: "https://rs.example/"),
                transport: transport
            )
            let withCertificate = ResourceRequest(
                method: "GET",
                uri: "https://rs.example/photos/1",
                authorization: ["Bearer \(token.value)"],
                clientCertificate: agent.der
            )
            if case .failure(let refusal) = await oauthRS.authorize(withCertificate) {
                Issue.record("the OAuth RS must accept the token with its certificate: \(refusal)")
            }
            for presented in [nil, other.der] {
                let request = ResourceRequest(
                    method: "GET",
                    uri: "https://rs.example/photos/1",
                    authorization: ["Bearer \(token.value)"],
                    clientCertificate: presented
                )
                guard case .failure(let refusal) = await oauthRS.authorize(request) else {
                    Issue.record("the OAuth RS must refuse a certificate-bound token without that certificate")
                    continue
                }
                #expect(refusal.status == 401)
                #expect(refusal.description.contains("x5t#S256"))
            }

            // The same through the Hummingbird middleware, the certificate handed over by the application.
            let router = Router(context: OAuthResourceContext.self)
            router.group("api")
                .add(
                    middleware: OAuthResourceMiddleware(oauthRS) { request, _ in
                        request.headers[HTTPField.Name("X-Test-Client-Cert")!].flatMap { Data(base64Encoded: $0) }.map { Array($0) }
                    }
                )
                .get("photos") { _, _ in "ok" }
            try await Application(router: router).test(.router) { client in
                let bearer: HTTPFields = [.authorization: "Bearer \(token.value)"]
                var withCert = bearer
                withCert[HTTPField.Name("X-Test-Client-Cert")!] = Data(agent.der).base64EncodedString()
                var withOther = bearer
                withOther[HTTPField.Name("X-Test-Client-Cert")!] = Data(other.der).base64EncodedString()
                let accepted = try await client.execute(uri: "/api/photos", method: .get, headers: withCert) { $0.status }
                let otherCertificate = try await client.execute(uri: "/api/photos", method: .get, headers: withOther) { $0.status }
                let noCertificate = try await client.execute(uri: "/api/photos", method: .get, headers: bearer) { $0.status }
                #expect(accepted == .ok)
                #expect(otherCertificate == .unauthorized)
                #expect(noCertificate == .unauthorized)
            }

            // Rotation and revocation over mTLS.
            let rotated = try await gnap.rotate(token)
            #expect(rotated.value != token.value)
            #expect((try Self.claims(rotated.value)["cnf"] as? [String: String]) == ["x5t#S256": thumbprint])
            try await gnap.revoke(rotated)
            var afterRevoke = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
            try gnap.authorize(&afterRevoke, with: rotated)
            guard case .refused(let revoked) = await rs.verify(afterRevoke, clientCertificate: agent.der) else {
                Issue.record("a revoked token must be refused")
                return
            }
            #expect(revoked.reason == .inactiveToken)
        }
    }

    @Test func aResourceServerProvesItsOwnCertificateAtIntrospectionAndRegistration() async throws {
        let agent = try TestCertificate.selfSigned(commonName: "mtls-agent")
        try await withTLSServer(registered: agent) { fixture in
            let (gnap, agentTransport) = try Self.client(fixture, certificate: agent, presenting: agent)
            let rsTransport = try AsyncHTTPClientTransport.mutualTLS(
                certificateChainPEM: Self.rsCertificate.certificatePEM,
                privateKeyPEM: Self.rsCertificate.privateKeyPEM,
                trustRootsPEM: fixture.serverCertificate.certificatePEM
            )
            // The agent's transport presents a certificate the AS does not know as a resource server's.
            defer {
                Task {
                    try? await agentTransport.shutdown()
                    try? await rsTransport.shutdown()
                }
            }
            let token = try #require(
                try await gnap.requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [Self.photos])))).tokens.first
            )
            func rs(_ reference: GNAPResourceServerReference, _ transport: AsyncHTTPClientTransport) -> GNAPResourceServer {
                var configuration = GNAPResourceServer.Configuration(asBaseURL: fixture.base, resourceServer: reference)
                configuration.introspectionCacheLifetime = .zero
                configuration.proveWithMutualTLS = true
                return GNAPResourceServer(configuration: configuration, key: .generate(), transport: transport)
            }
            let rsKey = GNAPKey(proof: GNAPProof(method: "mtls"), certS256: GNAPCertificate.thumbprint(of: Self.rsCertificate.der))
            for reference in [GNAPResourceServerReference.instance("photos-rs-mtls"), .key(rsKey)] {
                let server = rs(reference, rsTransport)
                let answer = try await server.introspect(token: token.value, proof: "mtls")
                #expect(answer.active)
                var request = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
                try gnap.authorize(&request, with: token)
                guard case .authorized = await server.verify(request, clientCertificate: agent.der) else {
                    Issue.record("the mtls RS must accept the token with the bound certificate")
                    return
                }
                let reference = try await server.register([Self.photos])
                #expect(!reference.resourceReference.isEmpty)
            }
            // The RS named, the wrong certificate presented: refused as the RS-facing error.
            do {
                _ = try await rs(.instance("photos-rs-mtls"), agentTransport).introspect(token: token.value, proof: "mtls")
                Issue.record("introspection with another certificate must be refused")
            } catch let error as GNAPResourceError {
                #expect(error.gnapError?.code == .invalidResourceServer)
            }
        }
    }

    @Test func unknownClientNamedByThumbprintIsApprovedOutOfBandAndContinuesOverMutualTLS() async throws {
        let registered = try TestCertificate.selfSigned(commonName: "someone-else")
        let newcomer = try TestCertificate.selfSigned(commonName: "newcomer")
        try await withTLSServer(registered: registered) { fixture in
            let (gnap, transport) = try Self.client(fixture, certificate: newcomer, presenting: newcomer)
            defer { Task { try? await transport.shutdown() } }
            let request = GNAPGrantRequest(
                accessToken: .single(GNAPTokenRequest(access: [Self.photos])),
                client: .value(
                    GNAPClientInstance(
                        key: GNAPKey(proof: GNAPProof(method: "mtls"), certS256: GNAPCertificate.thumbprint(of: newcomer.der))
                    )
                )
            )
            let pending = try await gnap.requestGrant(request)
            #expect(pending.isPending)
            let grantID = try #require(pending.continuation?.uri.split(separator: "/").last.map(String.init))
            // Out of band, as `tessera gnap approve --digest` names the request `tessera gnap grants` listed.
            let listed = try #require(try await fixture.engine.gnap.grants(state: .pending).first { $0.id == grantID })
            let digest = try GNAPService.consentDigest(ofStored: listed.request)
            #expect(try await fixture.engine.gnap.decide(grantID: grantID, approve: true, subject: "alice", digest: digest))
            let approved = try await gnap.awaitApproval(pending, maximumPolls: 3)
            let token = try #require(approved.tokens.first)
            #expect(
                (try Self.claims(token.value)["cnf"] as? [String: String]) == ["x5t#S256": GNAPCertificate.thumbprint(of: newcomer.der)]
            )
        }
    }

    @Test func wrongOrMissingClientCertificateIsRefusedOnGrantContinuationAndManagement() async throws {
        let agent = try TestCertificate.selfSigned(commonName: "mtls-agent")
        let thief = try TestCertificate.selfSigned(commonName: "thief")
        try await withTLSServer(registered: agent) { fixture in
            let (gnap, agentTransport) = try Self.client(fixture, certificate: agent, presenting: agent)
            let (impostor, thiefTransport) = try Self.client(fixture, certificate: agent, presenting: thief)
            let (anonymous, plainTransport) = try Self.client(fixture, certificate: agent, presenting: nil)
            defer {
                Task {
                    try? await agentTransport.shutdown()
                    try? await thiefTransport.shutdown()
                    try? await plainTransport.shutdown()
                }
            }
            let request = GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [Self.photos])))

            let wrong = await Self.refusal { _ = try await impostor.requestGrant(request) }
            #expect(wrong?.code == .invalidClient)
            #expect(wrong?.message.contains("not the key's certificate") == true)
            let missing = await Self.refusal { _ = try await anonymous.requestGrant(request) }
            #expect(missing?.code == .invalidClient)
            #expect(missing?.message.contains("none was presented") == true)

            // A grant made by the holder cannot be continued, rotated or revoked by another certificate or none.
            let grant = try await gnap.requestGrant(request)
            let continuation = try #require(grant.continuation)
            let token = try #require(grant.tokens.first)
            let continuedByThief = await Self.refusal { _ = try await impostor.continueGrant(continuation) }
            #expect(continuedByThief?.code == .invalidClient)
            let rotatedByThief = await Self.refusal { _ = try await impostor.rotate(token) }
            #expect(rotatedByThief?.code == .invalidClient)
            let revokedAnonymously = await Self.refusal { try await anonymous.revoke(token) }
            #expect(revokedAnonymously?.code == .invalidClient)
            // The holder still can: the refusals did not spend the tokens.
            let next = try await gnap.continueGrant(continuation)
            #expect(next.tokens.count == 1)
            #expect(try await gnap.rotate(token).value != token.value)
            // Modification (PATCH) and cancellation (DELETE) follow the same rule.
            let latest = try #require(next.continuation)
            let modifiedByThief = await Self.refusal {
                _ = try await impostor.modifyGrant(latest, GNAPGrantRequest(accessToken: request.accessToken))
            }
            #expect(modifiedByThief?.code == .invalidClient)
            let cancelledAnonymously = await Self.refusal { try await anonymous.cancelGrant(latest) }
            #expect(cancelledAnonymously?.code == .invalidClient)
            let modified = try await gnap.modifyGrant(latest, GNAPGrantRequest(accessToken: request.accessToken))
            try await gnap.cancelGrant(try #require(modified.continuation))
        }
    }
}

/// `tessera serve` with `tls:` from its config file, and `tessera gnap request --cert` proving with mtls.
@Suite struct GNAPMutualTLSProcessTests {
    @Test func theCLIGetsACertificateBoundTokenFromTheServerOverMutualTLS() async throws {
        let server = try TestCertificate.selfSigned(commonName: "localhost", server: true)
        let agent = try TestCertificate.selfSigned(commonName: "cli-agent")
        let serverFiles = try server.writeFiles(), agentFiles = try agent.writeFiles()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-mtls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("tessera.yaml").path
        let pem = agent.certificatePEM.replacingOccurrences(of: "\n", with: "\\n")
        try """
        tls:
          certificate_chain: \(serverFiles.certificate)
          private_key: \(serverFiles.key)
          client_certificates: optional
        gnap:
          instances:
            - id: cli-agent
              key: {"proof": "mtls", "cert": "\(pem)"}
              allowed_access: [photo-api]
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let process = try await TesseraProcess(["--config", config, "--data-dir", directory.path])
        do {
            #expect(process.baseURL.hasPrefix("https://127.0.0.1:"))
            let (status, output) = try await TesseraProcess.run([
                "gnap", "request", "--as", process.baseURL, "--access", "photo-api:read",
                "--cert", agentFiles.certificate, "--cert-key", agentFiles.key, "--ca", serverFiles.certificate,
            ])
            #expect(status == 0, "\(output)")
            let token = try #require(output.split(separator: "\n").first { $0.hasPrefix("token: ") }.map { String($0.dropFirst(7)) })
            #expect(
                (try GNAPMutualTLSTests.claims(token)["cnf"] as? [String: String]) == [
                    "x5t#S256": GNAPCertificate.thumbprint(of: agent.der)
                ]
            )
            // Without a certificate the same instance gets nothing: an httpsig key it is not.
            let (refusedStatus, refusedOutput) = try await TesseraProcess.run([
                "gnap", "request", "--as", process.baseURL, "--access", "photo-api:read", "--ca", serverFiles.certificate,
            ])
            #expect(refusedStatus == 0)
            #expect(!refusedOutput.contains("token: "), "an unknown httpsig key must not get tokens at once")
        } catch {
            try await process.stop()
            throw error
        }
        try await process.stop()
    }
}

/// RFC 9440 `Client-Cert` from a TLS-terminating proxy: believed only from `trusted_proxies`.
@Suite struct GNAPClientCertHeaderTests {
    static let photos = GNAPMutualTLSTests.photos

    func withServer(trustedProxies: [String], _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let agent = Self.agent
        let app = try await TestServer.build(configure: { configuration in
            configuration.trustedProxies = trustedProxies.compactMap(IPNetwork.init)
            configuration.gnap.instances = [
                .init(
                    id: "proxied-agent",
                    key: GNAPKey(proof: GNAPProof(method: "mtls"), cert: agent.certificatePEM),
                    allowedAccess: ["photo-api"]
                )
            ]
        })
        try await app.application.test(.live, body)
    }

    static let agent = try! TestCertificate.selfSigned(commonName: "proxied-agent")

    static func grant(_ client: any TestClientProtocol, clientCert: String?) async throws -> (HTTPResponse.Status, [String: Any]) {
        let body =
            #"{"access_token": {"access": [{"type": "photo-api", "actions": ["read"], "locations": ["https://rs.example/"]}]}, "client": "proxied-agent"}"#
        var headers: HTTPFields = [.contentType: "application/json"]
        if let clientCert { headers[HTTPField.Name("Client-Cert")!] = clientCert }
        return try await client.execute(uri: "/gnap", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            (response.status, (try? HTTPHelpers.json(response.body)) ?? [:])
        }
    }

    static var header: String { ":" + Data(agent.der).base64EncodedString() + ":" }

    @Test func certificateFromATrustedProxyIsAccepted() async throws {
        try await withServer(trustedProxies: ["127.0.0.1/32", "::1/128"]) { client in
            let (status, json) = try await Self.grant(client, clientCert: Self.header)
            #expect(status == .ok)
            let token = try #require((json["access_token"] as? [String: Any])?["value"] as? String)
            #expect(
                (try GNAPMutualTLSTests.claims(token)["cnf"] as? [String: String]) == [
                    "x5t#S256": GNAPCertificate.thumbprint(of: Self.agent.der)
                ]
            )
            let options = try await client.execute(uri: "/gnap", method: .options) { try HTTPHelpers.json($0.body) }
            #expect((options["key_proofs_supported"] as? [String])?.contains("mtls") == true)
            // Through the trusted proxy, a request without the header has no certificate.
            let (missingStatus, missing) = try await Self.grant(client, clientCert: nil)
            #expect(missingStatus == .unauthorized)
            #expect((missing["error"] as? [String: Any])?["code"] as? String == "invalid_client")
        }
    }

    /// The attack: a client (not the proxy) writes `Client-Cert` itself to claim a certificate it does not hold.
    @Test func spoofedHeaderFromAnUntrustedPeerIsRefused() async throws {
        try await withServer(trustedProxies: ["10.0.0.0/8"]) { client in
            let (status, json) = try await Self.grant(client, clientCert: Self.header)
            #expect(status == .badRequest)
            let error = try #require(json["error"] as? [String: Any])
            #expect(error["code"] as? String == "invalid_request")
            #expect((error["description"] as? String)?.contains("trusted proxy") == true)
        }
    }

    @Test func malformedHeadersAreRefused() async throws {
        try await withServer(trustedProxies: ["127.0.0.1/32", "::1/128"]) { client in
            for value in [
                Data(Self.agent.der).base64EncodedString(), ":not base64!:", ":" + Data("garbage".utf8).base64EncodedString() + ":", "::",
                // Larger than any real certificate (ROBUSTNESS.md): refused before parsing.
                ":" + Data(repeating: 0x30, count: 20_000).base64EncodedString() + ":",
            ] {
                let (status, json) = try await Self.grant(client, clientCert: value)
                #expect(status == .badRequest, "\(value)")
                #expect((json["error"] as? [String: Any])?["code"] as? String == "invalid_request")
            }
        }
    }

    /// Keys that are not one well-formed certificate are refused with a clear `invalid_client`, never a crash.
    @Test func garbledCertificateKeysAreRefused() async throws {
        let pem = Self.agent.certificatePEM.replacingOccurrences(of: "\n", with: "\\n")
        let jwk = #"{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k", "alg": "EdDSA"}"#
        let keys: [(String, String)] = [
            (#"{"proof": "mtls", "cert": "garbage"}"#, "not PEM or base64 DER"),
            (#"{"proof": "mtls", "cert": "QUJD"}"#, "not a DER-encoded X.509 certificate"),
            (#"{"proof": "mtls", "cert": "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----"}"#, "not a CERTIFICATE"),
            (#"{"proof": "mtls", "cert#S256": "not-a-thumbprint"}"#, "base64url SHA-256"),
            (#"{"proof": "mtls", "jwk": \#(jwk)}"#, "an mtls key is a certificate"),
            (#"{"proof": "httpsig", "cert": "\#(pem)"}"#, "proves with mtls"),
            (
                #"{"proof": "mtls", "cert": "\#(pem)", "cert#S256": "\#(GNAPCertificate.thumbprint(of: Self.agent.der))"}"#,
                "exactly one format"
            ),
        ]
        try await withServer(trustedProxies: ["127.0.0.1/32", "::1/128"]) { client in
            for (key, message) in keys {
                let body = #"{"access_token": {"access": ["photo-api"]}, "client": {"key": \#(key)}}"#
                let (status, json) = try await client.execute(
                    uri: "/gnap",
                    method: .post,
                    headers: [.contentType: "application/json", HTTPField.Name("Client-Cert")!: Self.header],
                    body: ByteBuffer(string: body)
                ) { response in (response.status, (try? HTTPHelpers.json(response.body)) ?? [:]) }
                let error = json["error"] as? [String: Any]
                #expect(status == .unauthorized, "\(key)")
                #expect(error?["code"] as? String == "invalid_client", "\(key)")
                #expect((error?["description"] as? String)?.contains(message) == true, "\(key): \(error?["description"] ?? "")")
            }
        }
    }

    @Test func discoveryOmitsMutualTLSWithoutTLSOrTrustedProxies() async throws {
        let app = try await TestServer.build()
        try await app.application.test(.router) { client in
            let options = try await client.execute(uri: "/gnap", method: .options) { try HTTPHelpers.json($0.body) }
            #expect((options["key_proofs_supported"] as? [String])?.contains("mtls") == false)
            let rs = try await client.execute(uri: "/.well-known/gnap-as-rs", method: .get) { try HTTPHelpers.json($0.body) }
            #expect((rs["key_proofs_supported"] as? [String])?.contains("mtls") == false)
            // With nothing configured, a Client-Cert field is still refused, and an mtls key is not supported.
            let (spoofed, spoofedBody) = try await Self.grant(client, clientCert: Self.header)
            #expect(spoofed == .badRequest)
            #expect((spoofedBody["error"] as? [String: Any])?["code"] as? String == "invalid_request")
            let body =
                #"{"access_token": {"access": ["photo-api"]}, "client": {"key": {"proof": "mtls", "cert": "\#(Data(Self.agent.der).base64EncodedString())"}}}"#
            let (status, json) = try await client.execute(
                uri: "/gnap",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: body)
            ) { response in (response.status, (try? HTTPHelpers.json(response.body)) ?? [:]) }
            #expect(status == .unauthorized)
            #expect(((json["error"] as? [String: Any])?["description"] as? String)?.contains("'mtls' is not supported here") == true)
        }
    }
}
