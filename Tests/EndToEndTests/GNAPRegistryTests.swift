import Foundation
import HTTPMessageSignatures
import TesseraClient
import TesseraProtocol
import TesseraResource
import Testing

/// Issue 19, "one registry": GNAP instances and resource servers live in the client store beside OAuth
/// clients, managed with `tessera clients` while the server runs, and a party using both doors is one entry.
extension GNAPClientEndToEndTests {
    func writeKey(_ key: GNAPKeyPair, _ server: Server, _ name: String) throws -> String {
        let path = server.directory.appendingPathComponent(name).path
        try JSONEncoder().encode(key.gnapKey).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aResourceServerAddedWithTheCLIWorksAtOnceAndItsRemovalRevokesWhatItWasIssued() async throws {
        try await withServer { server in
            let key = GNAPKeyPair.generate(.ed25519, keyID: "rs-3")
            let keyFile = try writeKey(key, server, "rs3.json")
            let data = ["--data-dir", server.directory.path]
            let (added, _) = try await TesseraProcess.run(
                ["clients", "add-resource-server", "--id", "rs3", "--key", keyFile, "--audience", "https://rs.example/"] + data
            )
            #expect(added == 0)
            let (_, shown) = try await TesseraProcess.run(["clients", "show", "rs3"] + data)
            #expect(shown.contains("\"resource_server\""))
            #expect(!shown.contains("\"oauth\""), "a GNAP-only party is no OAuth client")

            var configuration = GNAPResourceServer.Configuration(asBaseURL: server.base, resourceServer: .instance("rs3"))
            configuration.introspectionCacheLifetime = .zero
            let rs3 = GNAPResourceServer(configuration: configuration, key: key)
            let (_, parent) = try await parentToken(server)
            #expect(try await rs3.introspect(token: parent.value, proof: "httpsig").active, "the running server sees the new RS")
            let derived = try await rs3.deriveToken(from: parent.value, access: [Self.photoAPI(["read"], at: ["https://rs.example/"])])
            #expect(try await resourceServer(server).introspect(token: derived.value, proof: "httpsig").active)

            // A GNAP-only party is no OAuth public client, whatever its id.
            let asPublicClient = try HTTPSignatureRequest(
                method: "POST",
                targetURI: server.base + "/token",
                headerFields: [HTTPSignatureField(name: "Content-Type", value: "application/x-www-form-urlencoded")],
                body: Array("grant_type=client_credentials&client_id=rs3".utf8)
            )
            let refused = try await AsyncHTTPClientTransport().send(asPublicClient)
            #expect(refused.status == 401)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("\"invalid_client\""))

            let (removed, printed) = try await TesseraProcess.run(["clients", "remove", "rs3"] + data)
            #expect(removed == 0)
            #expect(printed.contains("revoked 1 tokens"))
            #expect(!(try await resourceServer(server).introspect(token: derived.value, proof: "httpsig").active))
            #expect(try await resourceServer(server).introspect(token: parent.value, proof: "httpsig").active, "the parent is not rs3's")
            let code = await refusal {
                _ = try await rs3.deriveToken(from: parent.value, access: [Self.photoAPI(["read"], at: ["https://rs.example/"])])
            }
            #expect(code == .invalidClient)
        }
    }

    @Test func aPartyUsingBothDoorsIsRegisteredOnce() async throws {
        try await withServer { server in
            let data = ["--data-dir", server.directory.path]
            let secret = "svc-secret-svc-secret-svc-secret-0123"
            let (oauth, _) = try await TesseraProcess.run(
                [
                    "clients", "add", "--id", "svc", "--auth", "client_secret_basic", "--secret", secret, "--grant-types",
                    "client_credentials",
                ]
                    + data
            )
            #expect(oauth == 0)
            let key = GNAPKeyPair.generate(.ed25519, keyID: "svc-1")
            let (gnap, _) = try await TesseraProcess.run(
                ["clients", "add-instance", "--id", "svc", "--key", try writeKey(key, server, "svc.json"), "--allowed-access", "photo-api"]
                    + data
            )
            #expect(gnap == 0)
            // The other order joins too: a GNAP instance first, then its OAuth registration.
            let (gnapFirst, _) = try await TesseraProcess.run(
                [
                    "clients", "add-instance", "--id", "svc2", "--key",
                    try writeKey(GNAPKeyPair.generate(.ed25519, keyID: "svc2"), server, "svc2.json"),
                ]
                    + data
            )
            let (oauthSecond, _) = try await TesseraProcess.run(
                [
                    "clients", "add", "--id", "svc2", "--auth", "client_secret_basic", "--secret", secret, "--grant-types",
                    "client_credentials",
                ]
                    + data
            )
            #expect(gnapFirst == 0 && oauthSecond == 0)
            let (_, listing) = try await TesseraProcess.run(["clients", "list"] + data)
            let joined = listing.split(separator: "\n").filter { $0.hasPrefix("svc2\t") }
            #expect(joined.count == 1 && joined.first?.contains("grant_types=client_credentials") == true)
            #expect(joined.first?.contains("gnap_instance") == true)
            let lines = listing.split(separator: "\n").filter { $0.hasPrefix("svc\t") }
            #expect(lines.count == 1)
            #expect(lines.first?.contains("grant_types=client_credentials") == true)
            #expect(lines.first?.contains("gnap_instance") == true)

            // The OAuth door: client credentials with the secret.
            let token = try HTTPSignatureRequest(
                method: "POST",
                targetURI: server.base + "/token",
                headerFields: [
                    HTTPSignatureField(name: "Content-Type", value: "application/x-www-form-urlencoded"),
                    HTTPSignatureField(name: "Authorization", value: "Basic " + Data("svc:\(secret)".utf8).base64EncodedString()),
                ],
                body: Array("grant_type=client_credentials".utf8)
            )
            #expect(try await AsyncHTTPClientTransport().send(token).status == 200)

            // The GNAP door: the same party by its instance id, proving its key.
            var configuration = GNAPClient.Configuration(grantEndpoint: server.base + "/gnap")
            configuration.instanceID = "svc"
            let instance = GNAPClient(configuration: configuration, key: key, sleep: { _ in })
            let grant = try await instance.requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [Self.photos]))))
            let issued = try #require(grant.tokens.first)
            #expect(!grant.isPending, "the registered instance acts for itself within its allowed access")
            #expect(try await resourceServer(server).introspect(token: issued.value, proof: "httpsig").active)

            // A grant still waiting for a resource owner when the party is removed.
            let pending = try await instance.requestGrant(
                GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference("other")])))
            )
            let continuation = try #require(pending.continuation)
            let grantID = URL(string: continuation.uri)?.lastPathComponent ?? ""

            let (removed, _) = try await TesseraProcess.run(["clients", "remove", "svc"] + data)
            #expect(removed == 0)
            #expect(!(try await resourceServer(server).introspect(token: issued.value, proof: "httpsig").active))
            // Approved after the removal, it still yields nothing: a removed party's grants do not continue.
            #expect(try await GNAPClientEndToEndTests.approveAsListed(grantID, subject: "bob", data) == 0)
            do {
                _ = try await instance.continueGrant(continuation)
                Issue.record("a removed instance's grant must not continue")
            } catch let error as GNAPClientError {
                #expect(error.gnapError?.code == .invalidContinuation)
            }
        }
    }
}

extension GNAPClientEndToEndTests {
    /// The file is seeded into the store at every start: it wins for the ids it names, CLI parties stay, and an
    /// entry dropped from the file is gone after the next start (docs/gnap.md, "One registry").
    @Test func theConfigurationFileIsReconciledIntoTheRegistryAtEachStart() async throws {
        let server = try await start()
        let data = ["--data-dir", server.directory.path]
        let cliKey = GNAPKeyPair.generate(.ed25519, keyID: "cli-1")
        let (added, _) = try await TesseraProcess.run(
            ["clients", "add-instance", "--id", "cli-agent", "--key", try writeKey(cliKey, server, "cli.json"), "--allowed-access", "x"]
                + data
        )
        #expect(added == 0)
        // A CLI change to a file party lasts only until the next start.
        let (changed, _) = try await TesseraProcess.run(
            ["clients", "add-instance", "--id", "e2e-agent", "--key", try writeKey(agent, server, "agent.json"), "--allowed-access", "x"]
                + data
        )
        #expect(changed == 0)
        try await server.process.stop()

        // Restart with photos-rs2 dropped from the file.
        let config = server.directory.appendingPathComponent("tessera.yaml").path
        let text = try String(contentsOfFile: config, encoding: .utf8)
        let kept = text.components(separatedBy: "    - id: photos-rs2")[0]
        try kept.write(toFile: config, atomically: true, encoding: .utf8)
        let again = try await TesseraProcess(["--config", config, "--data-dir", server.directory.path])
        do {
            try await expectReconciled(data)
        } catch {
            try await again.stop()
            throw error
        }
        try await again.stop()
    }

    private func expectReconciled(_ data: [String]) async throws {
        let (_, cli) = try await TesseraProcess.run(["clients", "show", "cli-agent"] + data)
        #expect(cli.contains("\"instance\""), "a CLI party survives restarts")
        let (_, agentShown) = try await TesseraProcess.run(["clients", "show", "e2e-agent"] + data)
        #expect(agentShown.contains("billing"), "the file's allowed_access is back")
        #expect(agentShown.contains("\"from_configuration\" : true"))
        let (dropped, _) = try await TesseraProcess.run(["clients", "show", "photos-rs2"] + data)
        #expect(dropped != 0, "a file entry removed from the file is removed from the registry")
    }
}
