import Foundation
import HTTPMessageSignatures
import TesseraClient
import TesseraProtocol
import TesseraResource
import Testing

/// The GNAP SDKs against `tessera serve` as a real process over loopback HTTP: the client SDK's grants,
/// continuation, approval by a person with the CLI, rotation and revocation; the RS SDK's introspection and
/// proof checks. The server's `continuation_wait` is 0 (1 s for the CLI test, whose process really waits).
@Suite(.serialized) struct GNAPClientEndToEndTests {
    let agent = GNAPKeyPair.generate(.ed25519, keyID: "agent-1")
    let rsKey = GNAPKeyPair.generate(.ed25519, keyID: "rs-1")
    /// A downstream RS (RFC 9767 §4 tests): it serves `https://rs2.example/`.
    let rs2Key = GNAPKeyPair.generate(.ed25519, keyID: "rs-2")

    struct Server {
        let process: TesseraProcess
        let directory: URL
        var base: String { process.baseURL }
    }

    /// Runs `body` against a fresh server and stops the server afterwards, whatever happens.
    func withServer(wait: Int = 0, policy: String? = nil, _ body: (Server) async throws -> Void) async throws {
        let server = try await start(wait: wait, policy: policy)
        do {
            try await body(server)
        } catch {
            try await server.process.stop()
            throw error
        }
        try await server.process.stop()
    }

    func start(wait: Int = 0, policy: String? = nil) async throws -> Server {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-gnap-sdk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let agentJWK = String(decoding: try JSONEncoder().encode(agent.publicJWK), as: UTF8.self)
        let rsJWK = String(decoding: try JSONEncoder().encode(rsKey.publicJWK), as: UTF8.self)
        let rs2JWK = String(decoding: try JSONEncoder().encode(rs2Key.publicJWK), as: UTF8.self)
        let config = directory.appendingPathComponent("tessera.yaml").path
        try """
        gnap:
          continuation_wait: \(wait)
          instances:
            - id: e2e-agent
              display_name: E2E agent
              key: {"proof": "httpsig", "jwk": \(agentJWK)}
              allowed_access: [photo-api, billing]
              allow_bearer: true
          resource_servers:
            - id: photos-rs
              key: {"proof": "httpsig", "jwk": \(rsJWK)}
              audiences: ["https://rs.example/"]
            - id: photos-rs2
              key: {"proof": "httpsig", "jwk": \(rs2JWK)}
              audiences: ["https://rs2.example/"]
        """
        .appending(policy == nil ? "" : "\npolicy:\n  file: \(directory.appendingPathComponent("policy.cedar").path)\n")
        .write(toFile: config, atomically: true, encoding: .utf8)
        try policy?.write(to: directory.appendingPathComponent("policy.cedar"), atomically: true, encoding: .utf8)
        let process = try await TesseraProcess(["--config", config, "--data-dir", directory.path])
        return Server(process: process, directory: directory)
    }

    static let photos = GNAPAccessRight.object(GNAPAccessObject(type: "photo-api", actions: ["read"], locations: ["https://rs.example/"]))
    static let twoTokens = GNAPTokenRequests.multiple([
        GNAPTokenRequest(access: [photos], label: "photos"),
        GNAPTokenRequest(
            access: [.object(GNAPAccessObject(type: "billing", actions: ["read"], locations: ["https://rs.example/"]))],
            label: "billing"
        ),
    ])

    func client(_ server: Server, key: GNAPKeyPair? = nil) -> GNAPClient {
        GNAPClient(grantEndpoint: server.base + "/gnap", key: key ?? agent, sleep: { _ in })
    }

    func resourceServer(_ server: Server) -> GNAPResourceServer {
        var configuration = GNAPResourceServer.Configuration(asBaseURL: server.base, resourceServer: .instance("photos-rs"))
        configuration.introspectionCacheLifetime = .zero
        return GNAPResourceServer(configuration: configuration, key: rsKey)
    }

    static func claims(_ jwt: String) throws -> [String: Any] {
        let parts = jwt.split(separator: ".")
        guard parts.count == 3 else { return [:] }
        var payload = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let data = try #require(Data(base64Encoded: payload))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func registeredInstanceGetsTwoBoundTokensThenRotatesAndRevokes() async throws {
        try await withServer { server in
            let gnap = client(server)

            let discovery = try await gnap.discover()
            #expect(discovery.keyProofsSupported.contains("httpsig"))

            let grant = try await gnap.requestGrant(GNAPGrantRequest(accessToken: Self.twoTokens))
            #expect(!grant.isPending)
            #expect(grant.tokens.count == 2)
            let photos = try #require(grant.token(labelled: "photos"))
            let billing = try #require(grant.token(labelled: "billing"))
            for token in [photos, billing] {
                #expect(!token.isBearer)
                let cnf = try #require(try Self.claims(token.value)["cnf"] as? [String: Any])
                #expect(cnf["jkt"] as? String == (try agent.thumbprint()))
            }

            let rs = resourceServer(server)
            #expect(try await rs.introspect(token: photos.value, proof: "httpsig").active)
            let rotated = try await gnap.rotate(photos)
            #expect(rotated.value != photos.value)
            #expect(rotated.label == "photos")
            #expect(try await rs.introspect(token: photos.value, proof: "httpsig").active == false)
            #expect(try await rs.introspect(token: rotated.value, proof: "httpsig").active)
            // The old management token was replaced by the rotation.
            await #expect(throws: GNAPClientError.self) { try await gnap.rotate(photos) }

            try await gnap.revoke(billing)
            #expect(try await rs.introspect(token: billing.value, proof: "httpsig").active == false)
            await #expect(throws: GNAPClientError.self) { try await gnap.rotate(billing) }

            if let continuation = grant.continuation {
                try await gnap.cancelGrant(continuation)
                #expect(try await rs.introspect(token: rotated.value, proof: "httpsig").active == false)
            }
        }
    }

    @Test func pendingGrantIsApprovedWithTheCLIAndPolledWithTheNewestToken() async throws {
        try await withServer { server in
            let stranger = GNAPKeyPair.generate(.p256)
            let gnap = client(server, key: stranger)
            let requested = GNAPTokenRequests.single(GNAPTokenRequest(access: [Self.photos]))
            let pending = try await gnap.requestGrant(GNAPGrantRequest(accessToken: requested))
            #expect(pending.isPending)
            let first = try #require(pending.continuation)

            // Polling before approval rotates the continuation token; the old one is then refused.
            let stillPending = try await gnap.continueGrant(first, requested: requested)
            #expect(stillPending.isPending)
            let newest = try #require(stillPending.continuation)
            #expect(newest.accessToken != first.accessToken)
            do {
                _ = try await gnap.continueGrant(first, requested: requested)
                Issue.record("a used continuation token must be refused")
            } catch let error as GNAPClientError {
                #expect(error.gnapError?.code == .invalidContinuation)
            }

            let grantID = URL(string: newest.uri)?.lastPathComponent ?? ""
            #expect(try await Self.approveAsListed(grantID, subject: "alice", ["--data-dir", server.directory.path]) == 0)
            let approved = try await gnap.awaitApproval(stillPending, requested: requested, maximumPolls: 3)
            let token = try #require(approved.tokens.first)
            #expect(try Self.claims(token.value)["sub"] as? String == "alice")
        }
    }

    /// `tessera gnap request --poll` as a person would run it: it prints the grant id while pending, a second
    /// person approves it with `tessera gnap approve`, and the command prints both labelled tokens.
    @Test func cliRequestFollowsTheGrantUntilApproved() async throws {
        try await withServer(wait: 1) { server in
            let keyFile = server.directory.appendingPathComponent("client.jwk").path
            let request = try ChildProcess(
                TesseraProcess.binary,
                [
                    "gnap", "request", "--as", server.base, "--access", "photo-api:read", "--access", "ref:billing",
                    "--label", "a", "--label", "b", "--key", keyFile, "--poll", "--max-polls", "60",
                ],
                capture: .standardOutput
            )
            defer { request.terminate() }
            var grantID: String?
            var digest: String?
            for _ in 0..<100 where grantID == nil {
                let (_, listing) = try await TesseraProcess.run([
                    "gnap", "grants", "--state", "pending", "--data-dir", server.directory.path,
                ])
                // One line per grant: ID<TAB>state<TAB>…<TAB>digest=…; "no grants" when there is none yet.
                grantID = listing.split(separator: "\n").first { $0.contains("\tpending\t") }?.split(separator: "\t").first.map(String.init)
                digest = grantID.flatMap { Self.listedDigest(listing, of: $0) }
                if grantID == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let id = try #require(grantID)
            let (status, _) = try await TesseraProcess.run([
                "gnap", "approve", id, "--subject", "bob", "--digest", try #require(digest), "--data-dir", server.directory.path,
            ])
            #expect(status == 0)
            let (requestStatus, printed) = try await request.completion(within: .seconds(120))
            #expect(requestStatus == 0)
            #expect(printed.contains("token [a]: ey"))
            #expect(printed.contains("token [b]: ey"))
            // The key was written for the next run, private to the user.
            let saved = try GNAPKeyPair(privateJWK: String(contentsOfFile: keyFile, encoding: .utf8))
            let attributes = try FileManager.default.attributesOfItem(atPath: keyFile)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            #expect(saved.kind == .ed25519)
        }
    }

    @Test func deniedGrantEndsWithUserDenied() async throws {
        try await withServer { server in
            let gnap = client(server, key: GNAPKeyPair.generate(.ed25519))
            let pending = try await gnap.requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [Self.photos]))))
            let grantID = URL(string: pending.continuation?.uri ?? "")?.lastPathComponent ?? ""
            let (status, _) = try await TesseraProcess.run(["gnap", "approve", grantID, "--deny", "--data-dir", server.directory.path])
            #expect(status == 0)
            do {
                _ = try await gnap.awaitApproval(pending, maximumPolls: 3)
                Issue.record("expected user_denied")
            } catch let error as GNAPClientError {
                #expect(error.gnapError?.code == .userDenied)
            }
        }
    }

    @Test func resourceServerVerifiesBoundTokensAndRefusesReplaysAndOtherKeys() async throws {
        try await withServer { server in
            let gnap = client(server)
            let grant = try await gnap.requestGrant(
                GNAPGrantRequest(
                    accessToken: .multiple([
                        GNAPTokenRequest(access: [Self.photos], label: "bound"),
                        GNAPTokenRequest(access: [Self.photos], label: "bearer", flags: ["bearer"]),
                    ])
                )
            )
            let bound = try #require(grant.token(labelled: "bound"))
            let bearer = try #require(grant.token(labelled: "bearer"))
            #expect(bearer.isBearer)

            let discovered = try await GNAPResourceServer.discover(asBaseURL: server.base)
            #expect(discovered.introspectionEndpoint == server.base + "/gnap/introspect")
            let rs = resourceServer(server)
            let needed: [GNAPAccessRight] = [.object(GNAPAccessObject(type: "photo-api", actions: ["read"]))]

            var request = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
            try gnap.authorize(&request, with: bound)
            guard case .authorized(let granted) = await rs.verify(request, requiredAccess: needed) else {
                Issue.record("a bound token with the client's signature must be accepted")
                return
            }
            #expect(granted.allows("photo-api", action: "read"))
            #expect(granted.introspection.instanceID == "e2e-agent")

            guard case .refused(let replay) = await rs.verify(request, requiredAccess: needed) else {
                Issue.record("a replayed signature must be refused")
                return
            }
            #expect(replay.reason == .invalidSignature)
            #expect(replay.challenge.hasPrefix("GNAP as_uri=\(server.base)/gnap"))

            let impostor = GNAPClient(grantEndpoint: server.base + "/gnap", key: GNAPKeyPair.generate(.ed25519, keyID: "agent-1"))
            var stolen = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
            try impostor.authorize(&stolen, with: bound)
            guard case .refused(let wrongKey) = await rs.verify(stolen, requiredAccess: needed) else {
                Issue.record("a signature by another key must be refused")
                return
            }
            #expect(wrongKey.reason == .invalidSignature)

            let tooMuch: [GNAPAccessRight] = [.object(GNAPAccessObject(type: "photo-api", actions: ["delete"]))]
            var fresh = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
            try gnap.authorize(&fresh, with: bound)
            guard case .refused(let insufficient) = await rs.verify(fresh, requiredAccess: tooMuch) else {
                Issue.record("a token without the needed access must be refused")
                return
            }
            #expect(insufficient.reason == .inactiveToken)

            var bearerRequest = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
            try gnap.authorize(&bearerRequest, with: bearer)
            guard case .authorized = await rs.verify(bearerRequest, requiredAccess: needed) else {
                Issue.record("a bearer token must be accepted as Bearer")
                return
            }

            try await gnap.revoke(bound)
            var afterRevoke = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
            try gnap.authorize(&afterRevoke, with: bound)
            guard case .refused(let revoked) = await rs.verify(afterRevoke, requiredAccess: needed) else {
                Issue.record("a revoked token must be refused at once")
                return
            }
            #expect(revoked.reason == .inactiveToken)
        }
    }
}
