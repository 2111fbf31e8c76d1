import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraTesting
import Testing

/// `tessera serve` as a real process on a loopback port, driven over HTTP.
@Suite(.serialized) struct ServeProcessTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func configFile(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("tessera.yaml").path
        try """
        clients:
          - id: \(TestClients.secretClientID)
            auth: client_secret_basic
            secret: \(TestClients.secret)
            grant_types: [client_credentials, refresh_token]
            scopes: read write
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func issuesTokensAndKeepsStateAcrossARestart() async throws {
        let directory = try Self.temporaryDirectory()
        let config = try Self.configFile(in: directory)
        // A fixed issuer: with --port 0 the default issuer (the base URL) would change on restart.
        let arguments = ["--config", config, "--data-dir", directory.path, "--issuer", "http://tessera.test"]

        let first = try await TesseraProcess(arguments)
        #expect(first.log.contains("database sqlite:"))
        let (status, issued) = try await Web.post(
            first.baseURL + "/token",
            form: "grant_type=client_credentials&scope=read",
            basic: TestClients.basicAuthorization()
        )
        #expect(status == 200)
        let access = try #require(issued["access_token"] as? String)
        let refresh = try #require(issued["refresh_token"] as? String)
        let (_, jwksBefore) = try await Web.get(first.baseURL + "/jwks")
        #expect(try await first.stop() == 0)

        // Same data folder, new process (and port): keys, clients and token records survive.
        let second = try await TesseraProcess(arguments)
        let (_, jwksAfter) = try await Web.get(second.baseURL + "/jwks")
        #expect(
            (jwksBefore["keys"] as? [[String: Any]])?.first?["kid"] as? String == (jwksAfter["keys"] as? [[String: Any]])?.first?["kid"]
                as? String
        )
        let (_, introspected) = try await Web.post(
            second.baseURL + "/introspect",
            form: "token=\(access)",
            basic: TestClients.basicAuthorization()
        )
        #expect(introspected["active"] as? Bool == true)
        let (refreshStatus, _) = try await Web.post(
            second.baseURL + "/token",
            form: "grant_type=refresh_token&refresh_token=\(refresh)",
            basic: TestClients.basicAuthorization()
        )
        #expect(refreshStatus == 200)
        try await second.stop()
    }

    /// Issue 21 item 3: `tessera clients add --name` stores the operator's name for the consent pages;
    /// `clients list` shows it; a name with a bidirectional override is refused.
    @Test func cliRegisteredClientsCarryTheOperatorsName() async throws {
        let directory = try Self.temporaryDirectory()
        let common = ["--data-dir", directory.path, "--auth", "client_secret_basic", "--grant-types", "client_credentials"]
        let (addStatus, _) = try await TesseraProcess.run(["clients", "add", "--id", "named", "--name", "Budget Planner"] + common)
        #expect(addStatus == 0)
        let (_, listOutput) = try await TesseraProcess.run(["clients", "list", "--data-dir", directory.path])
        #expect(listOutput.contains("client_name=\"Budget Planner\" (operator)"), "\(listOutput)")
        let (badStatus, badOutput) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["clients", "add", "--id", "bad", "--name", "Bank\u{202E}live"] + common,
            capture: .standardError
        )
        #expect(badStatus != 0 && badOutput.contains("client_name"), "\(badOutput)")
    }

    @Test func cliRegisteredClientsAndRotatedKeysReachTheServer() async throws {
        let directory = try Self.temporaryDirectory()
        let (addStatus, addOutput) = try await TesseraProcess.run([
            "clients", "add", "--data-dir", directory.path, "--id", "cli-client", "--auth", "client_secret_post",
            "--grant-types", "client_credentials", "--scopes", "read",
        ])
        #expect(addStatus == 0)
        let secret = try #require(addOutput.split(separator: "\n").first { $0.hasPrefix("client_secret: ") }).dropFirst(
            "client_secret: ".count
        )
        let (listStatus, listOutput) = try await TesseraProcess.run(["clients", "list", "--data-dir", directory.path])
        #expect(listStatus == 0 && listOutput.contains("cli-client"))
        let (duplicateStatus, _) = try await TesseraProcess.run([
            "clients", "add", "--data-dir", directory.path, "--id", "cli-client", "--auth", "none", "--grant-types", "refresh_token",
        ])
        #expect(duplicateStatus != 0)

        let server = try await TesseraProcess(["--data-dir", directory.path])
        let (status, _) = try await Web.post(
            server.baseURL + "/token",
            form: "grant_type=client_credentials&client_id=cli-client&client_secret=\(secret)"
        )
        #expect(status == 200)
        let (_, before) = try await Web.get(server.baseURL + "/jwks")
        let (rotateStatus, rotateOutput) = try await TesseraProcess.run(["keys", "rotate", "--data-dir", directory.path])
        #expect(rotateStatus == 0)
        let newKid = String(rotateOutput.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var published: [String] = []
        for _ in 0..<30 {
            let (_, after) = try await Web.get(server.baseURL + "/jwks")
            published = (after["keys"] as? [[String: Any]] ?? []).compactMap { $0["kid"] as? String }
            if published.contains(newKid) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(published.contains(newKid))
        #expect(published.count == ((before["keys"] as? [Any])?.count ?? 0) + 1)
        let (_, removeOutput) = try await TesseraProcess.run(["clients", "remove", "cli-client", "--data-dir", directory.path])
        #expect(removeOutput.contains("removed"))
        try await server.stop()
    }

    @Test func badConfigurationIsRefusedNamingTheField() async throws {
        let directory = try Self.temporaryDirectory()
        let path = directory.appendingPathComponent("bad.yaml").path
        try "port: 8080\nclients:\n  - id: x\n    auth: client_secret_basic\n    secret: short\n    grant_types: [client_credentials]\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["serve", "--config", path, "--data-dir", directory.path],
            capture: .both
        )
        #expect(status != 0)
        #expect(output.contains("clients[0].secret"))
    }

    /// A configuration error is the operator's, not CLI misuse: the message alone, no usage text
    /// pointing at `--help`, and exit status 1 (ArgumentParser's 64 is for a malformed command line).
    @Test(arguments: [
        // Found when the server is built from the settings (`serve` only).
        (
            "port: 8080\nclients:\n  - id: x\n    auth: client_secret_basic\n    secret: short\n    grant_types: [client_credentials]\n",
            [["serve"]]
        ),
        // Found when the file is read (every command).
        ("no_such_setting: 1\n", [["serve"], ["clients", "list"], ["migrate"]]),
        ("outbound_network:\n  allowed_networks: [\"10.0.0.0/99\"]\n", [["serve"], ["migrate"]]),
    ])
    func aConfigurationErrorPrintsOnlyItsMessage(_ yaml: String, _ commands: [[String]]) async throws {
        let directory = try Self.temporaryDirectory()
        let path = directory.appendingPathComponent("bad.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        for command in commands {
            let (status, output) = try await ChildProcess.run(
                TesseraProcess.binary,
                command + ["--config", path, "--data-dir", directory.path],
                capture: .both
            )
            #expect(status == 1, "\(command): \(output)")
            #expect(output.contains("configuration '"), "\(command): \(output)")
            #expect(!output.contains("Usage:") && !output.contains("--help"), "\(command): \(output)")
        }
        let (status, output) = try await ChildProcess.run(TesseraProcess.binary, ["serve", "--no-such-flag"], capture: .both)
        #expect(status != 0 && output.contains("Usage:"), "real CLI misuse still shows the usage")
    }

    /// A private_key_jwt client whose `jwks_uri` is on loopback (a second AS on the same host, as in
    /// identity chaining Appendix B.2): refused until `outbound_network.allowed_networks` lists the
    /// network, and the refusal names that setting; the former name `outbound:` still works and the
    /// log says it is deprecated.
    @Test func aLoopbackJWKSURIIsRefusedNamingTheSettingThatAllowsIt() async throws {
        let issuer = "http://tessera.test"
        for (section, deprecated) in [("", false), ("outbound_network", false), ("outbound", true)] {
            let directory = try Self.temporaryDirectory()
            let path = directory.appendingPathComponent("tessera.yaml").path
            var yaml = """
                clients:
                  - {id: loop, auth: private_key_jwt, jwks_uri: "http://127.0.0.1:9/jwks", grant_types: [client_credentials], scopes: read}

                """
            if !section.isEmpty { yaml += "\(section):\n  allowed_networks: [\"127.0.0.1/32\"]\n" }
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let server = try await TesseraProcess(["--config", path, "--data-dir", directory.path, "--issuer", issuer])
            let assertion = try await TestClients.assertion(audience: issuer + "/token", now: Date(), iss: "loop", sub: "loop")
            let (status, body) = try await Web.post(
                server.baseURL + "/token",
                form:
                    "grant_type=client_credentials&client_id=loop&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=\(assertion)"
            )
            #expect(status == 401 && body["error"] as? String == "invalid_client", "\(section): \(body)")
            let description = body["error_description"] as? String ?? ""
            if section.isEmpty {
                #expect(description.contains("outbound_network.allowed_networks"), "\(description)")
            } else {
                #expect(!description.contains("special-use"), "\(section) lets the fetch reach loopback: \(description)")
            }
            #expect(server.log.contains("'outbound' is deprecated") == deprecated, "\(section): \(server.log)")
            try await server.stop()
        }
    }

    @Test func helpDocumentsEveryCommand() async throws {
        let (status, output) = try await TesseraProcess.run(["--help"])
        #expect(status == 0)
        for command in ["serve", "clients", "keys"] { #expect(output.contains(command)) }
        let (_, serveHelp) = try await TesseraProcess.run(["serve", "--help"])
        for flag in ["--config", "--host", "--port", "--database", "--issuer", "--data-dir"] { #expect(serveHelp.contains(flag)) }
    }
}
