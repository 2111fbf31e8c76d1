import Foundation
import TesseraTesting
import Testing

/// `tessera policy show|check|explain` run as an operator would (issue 19 item 2, docs/policy.md),
/// and `tessera serve` refusing to start with a broken owner policy (fail closed).
@Suite struct PolicyCommandProcessTests {
    static let ownerPolicy = """
        // The reporting client never writes.
        @id("reporting-never-writes")
        forbid (principal == Client::"reporting", action, resource == Scope::"write");
        """

    /// A folder with `policy.cedar` and a configuration naming it, and two clients.
    static func setUp(policy: String = ownerPolicy) throws -> (directory: URL, config: String, policy: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let policyPath = directory.appendingPathComponent("policy.cedar").path
        try policy.write(toFile: policyPath, atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("tessera.yaml").path
        let secret = String(repeating: "s", count: 40)
        try """
        port: 0
        data_dir: \(directory.appendingPathComponent("data").path)
        clients:
          - {id: reporting, auth: client_secret_basic, secret: \(secret), grant_types: [client_credentials], scopes: read write}
        policy:
          file: \(policyPath)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return (directory, config, policyPath)
    }

    @Test func showPrintsTheShippedDefaultsThenTheOwnersPolicies() async throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let (status, output) = try await ChildProcess.run(TesseraProcess.binary, ["policy", "show", "--config", setup.config])
        #expect(status == 0, "\(output)")
        let defaults = try #require(output.range(of: "@id(\"registered-scopes-for-itself\")"))
        let owner = try #require(output.range(of: "@id(\"reporting-never-writes\")"))
        #expect(defaults.lowerBound < owner.lowerBound)
        #expect(output.contains(#"Client::"reporting": door "oauth", registered, scopes [Scope::"read", Scope::"write"]"#))
    }

    @Test func checkAcceptsAValidFileAndNamesEveryProblemOfABrokenOne() async throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let (valid, validOutput) = try await ChildProcess.run(TesseraProcess.binary, ["policy", "check", setup.policy])
        #expect(valid == 0, "\(validOutput)")
        #expect(validOutput.contains("valid against the Tessera vocabulary"))

        let broken = setup.directory.appendingPathComponent("broken.cedar").path
        try """
        permit (principal, action == Action::"token", resource) when { principal.scopez.contains(resource) };
        forbid (principal, action == Action::"teleport", resource);
        """.write(toFile: broken, atomically: true, encoding: .utf8)
        let (status, output) = try await ChildProcess.run(TesseraProcess.binary, ["policy", "check", broken], capture: .both)
        #expect(status == 1)
        #expect(output.contains("\(broken):1:1:"))
        #expect(output.contains("scopez"))
        #expect(output.contains("\(broken):2:1:"))
        #expect(output.contains("teleport"))
    }

    /// Every engine operation is in the vocabulary: introspection, client challenges, audiences
    /// (`Resource`) and the chaining context (`requestedTokenType`, `peer`) validate.
    @Test func checkAcceptsPoliciesNamingEveryOperation() async throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let file = setup.directory.appendingPathComponent("operations.cedar").path
        try """
        forbid (principal == Client::"rs", action == Action::"introspect", resource)
        when { context.audiences.contains("https://payroll.example/") && context has holder && context.holder != principal };
        @challenge("urn:tessera:params:client-challenge:client-attestation")
        forbid (principal, action == Action::"challenge", resource) when { context.largestAmount > 1000 };
        forbid (principal, action == Action::"exchange", resource == Resource::"https://as-b.example");
        forbid (principal == Client::"app", action == Action::"exchange", resource)
        when { context.requestedTokenType == "urn:ietf:params:oauth:token-type:id-jag" };
        forbid (principal, action == Action::"redeem", resource == Scope::"admin") when { context.peer == "b" };
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let (status, output) = try await ChildProcess.run(TesseraProcess.binary, ["policy", "check", file], capture: .both)
        #expect(status == 0, "\(output)")
        #expect(output.contains("valid against the Tessera vocabulary"))
    }

    /// A redeemed peer grant's or an ID token's facts (`context.chaining`) are in the vocabulary, each
    /// optional, so rules on them are type-checked; the open-ended `claims` record is not declared.
    @Test func checkAcceptsPoliciesReadingTheChainingContext() async throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let file = setup.directory.appendingPathComponent("chaining.cedar").path
        try """
        forbid (principal, action == Action::"redeem", resource)
        when { context has chaining && context.chaining has issuer && context.chaining.issuer == "https://as-b.example" };
        forbid (principal, action == Action::"redeem", resource)
        when { context has chaining && context.chaining has subject && context.chaining.subject like "*@contractors.example" };
        forbid (principal, action == Action::"redeem", resource)
        when { context has chaining && context.chaining has actor && context.chaining has client_id && context.chaining has redeeming_client
               && context.chaining.actor != "" && context.chaining.client_id != context.chaining.redeeming_client };
        forbid (principal, action == Action::"exchange", resource)
        when { context has chaining && context.chaining has peer && context.chaining.peer == "b"
               && context.chaining has resource && context.chaining.resource.contains("https://payroll.example/")
               && context.chaining has subject_issuer && context.chaining.subject_issuer != "https://idp.example"
               && context.chaining has audience && context.chaining.audience == "https://as-b.example" };
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let (status, output) = try await ChildProcess.run(TesseraProcess.binary, ["policy", "check", file], capture: .both)
        #expect(status == 0, "\(output)")
        #expect(output.contains("valid against the Tessera vocabulary"))

        // Before, `context has chaining` typed as always false, so nothing behind it was checked:
        // reading the open-ended `claims`, a member without its `has` test, a member of another
        // type were all "valid" (and the first two fail at evaluation). Now each is refused.
        let wrong = setup.directory.appendingPathComponent("wrong.cedar").path
        try """
        forbid (principal, action == Action::"redeem", resource)
        when { context has chaining && context.chaining.claims.department == "sales" };
        forbid (principal, action == Action::"redeem", resource)
        when { context has chaining && context.chaining.issuer == "https://as-b.example" };
        forbid (principal, action == Action::"redeem", resource)
        when { context has chaining && context.chaining has subject && context.chaining.subject.contains("bob") };
        """.write(toFile: wrong, atomically: true, encoding: .utf8)
        let (refused, refusal) = try await ChildProcess.run(TesseraProcess.binary, ["policy", "check", wrong], capture: .both)
        #expect(refused == 1)
        for line in [1, 3, 5] { #expect(refusal.contains("\(wrong):\(line):1:"), "\(refusal)") }
    }

    /// A `has` test on a member the closed `context.chaining` record does not declare (`iss` for `issuer`) is
    /// false for every request, so the rule never applies: a forbid silently disabled. `policy check` names the
    /// policy and its position in a warning (Cedar's `impossiblePolicy`); the set stays valid, exit 0.
    @Test func checkWarnsAboutAPolicyThatCanNeverApply() async throws {
        let setup = try Self.setUp(
            policy: """
                @id("no-tokens-from-as-b")
                forbid (principal, action == Action::"redeem", resource)
                when { context has chaining && context.chaining has issuer && context.chaining.issuer == "https://as-b.example" };

                @id("misspelled")
                forbid (principal, action == Action::"redeem", resource)
                when { context has chaining && context.chaining has iss };
                """
        )
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let warning = "\(setup.policy):5:1: policy policy1 @id(\"misspelled\"): policy is impossible"
        for arguments in [["policy", "check", setup.policy], ["policy", "check", "--config", setup.config]] {
            let (status, output) = try await ChildProcess.run(TesseraProcess.binary, arguments, capture: .both)
            #expect(status == 0, "\(output)")
            let warnings = output.split(separator: "\n").filter { $0.hasPrefix("warning: ") }
            #expect(warnings.count == 1, "\(output)")
            #expect(warnings.first?.contains(warning) == true, "\(output)")
            #expect(output.contains("valid against the Tessera vocabulary, 1 warning(s)"), "\(output)")
        }
        // The server starts with the set, and says so in its log.
        let server = try await TesseraProcess(["--config", setup.config])
        try await server.stop()
        #expect(server.log.contains(warning), "\(server.log)")
    }

    /// Configuration keys that name clients, peers and owners are shown as the policies they became.
    @Test func showPrintsTheConfigurationKeysAsPolicies() async throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let config = try String(contentsOfFile: setup.config, encoding: .utf8)
        try
            (config + """

                users:
                  - {username: alice, password: alice-password-1}
                gnap:
                  interaction:
                    resource_owners: {photos: alice}
                chaining:
                  peers:
                    - name: b
                      issuer: https://as-b.example
                      scopes: read
                      id_jag: {clients: [reporting], scopes: read, resources: ["https://mcp.example/"]}
                """).write(toFile: setup.config, atomically: true, encoding: .utf8)
        let (status, output) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["policy", "show", "--config", setup.config],
            capture: .both
        )
        #expect(status == 0, "\(output)")
        #expect(output.contains("tessera-configuration.cedar"))
        #expect(output.contains(#"@id("gnap.interaction.resource_owners[photos]")"#))
        #expect(output.contains(#"context.user != User::"alice""#))
        #expect(output.contains(#"@id("chaining.peers[b].id_jag.clients")"#))
        #expect(output.contains(#"[Client::"reporting"].contains(principal)"#))
        #expect(output.contains(#"[Resource::"https://as-b.example", Resource::"https://mcp.example/"].contains(resource)"#))
        #expect(output.contains(#"@id("chaining.peers[b].id_jag.scopes")"#))
        #expect(output.contains(#"@id("chaining.peers[b].scopes")"#))
        #expect(output.contains(#"!([Scope::"read"].contains(resource))"#) || output.contains(#"![Scope::"read"].contains(resource)"#))
        #expect(output.contains(#"@id("introspection-by-audience-or-holder")"#))

        // And explain answers with them: an ID-JAG for peer b, for the listed client.
        let (allowed, explained) = try await ChildProcess.run(
            TesseraProcess.binary,
            [
                "policy", "explain", "--config", setup.config, "--client", "reporting", "--action", "exchange", "--scope", "read",
                "--resource", "https://as-b.example", "--requested-token-type", "urn:ietf:params:oauth:token-type:id-jag",
            ]
        )
        #expect(allowed == 0, "\(explained)")
        #expect(explained.contains(#"Resource::"https://as-b.example": permitted"#))
        #expect(explained.contains(#"decided by "chaining.peers[b].id_jag.clients""#))
    }

    /// `chaining.policy_file` and `client_challenges.policy`, written in their old vocabularies, are
    /// translated into the one set (docs/policy.md): `policy show` prints them, `policy explain`
    /// names a translated policy as the reason, and one that cannot be translated stops the server.
    @Test func oldVocabularyPolicyFilesAreDecidedByTheOneSet() async throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let chaining = setup.directory.appendingPathComponent("chaining.cedar").path
        try """
        permit (principal == Peer::"b", action == Action::"request_scope", resource)
        when { context.claims has department && context.claims.department == "finance" };
        @id("no-admin-from-b")
        forbid (principal == Peer::"b", action == Action::"request_scope", resource == Scope::"admin");
        """.write(toFile: chaining, atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: setup.config, encoding: .utf8)
        try
            (config + """

                chaining:
                  policy_file: \(chaining)
                  peers:
                    - {name: b, issuer: "https://as-b.example"}
                client_challenges:
                  policy: |
                    @id("big-payments")
                    @challenge("urn:tessera:params:client-challenge:client-attestation")
                    forbid (principal, action == Action::"token", resource) when { context.largest_amount > 1000 };
                """).write(toFile: setup.config, atomically: true, encoding: .utf8)
        let (shown, output) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["policy", "show", "--config", setup.config],
            capture: .both
        )
        #expect(shown == 0, "\(output)")
        #expect(output.contains("\(chaining): translated into the one vocabulary"))
        #expect(output.contains(#"@id("chaining.cedar: no-admin-from-b")"#))
        #expect(output.contains(#"action == Action::"redeem""#))
        #expect(output.contains(#"context.largestAmount > 1000"#))
        #expect(output.contains(#"action == Action::"challenge""#))

        func explain(_ scope: String, claims: String) async throws -> (Int32, String) {
            try await ChildProcess.run(
                TesseraProcess.binary,
                [
                    "policy", "explain", "--config", setup.config, "--client", "reporting", "--action", "redeem", "--scope", scope,
                    "--user", "alice", "--peer", "b", "--claims", claims,
                ]
            )
        }
        let (refused, refusal) = try await explain("read admin", claims: #"{"department": "finance"}"#)
        #expect(refused == 2, "\(refusal)")
        #expect(refusal.contains(#"Scope::"read": permitted"#))
        #expect(refusal.contains(#"Scope::"admin": forbidden"#))
        #expect(refusal.contains(#"decided by "chaining.cedar: no-admin-from-b""#))
        let (unpermitted, unpermittedOutput) = try await explain("read", claims: #"{"department": "sales"}"#)
        #expect(unpermitted == 2, "\(unpermittedOutput)")
        #expect(unpermittedOutput.contains(#"decided by "chaining.cedar: permitted by no policy (request_scope)""#))
        let (allowed, allowedOutput) = try await explain("read", claims: #"{"department": "finance"}"#)
        #expect(allowed == 0, "\(allowedOutput)")

        // A policy the old evaluator would have read differently (it had no entity attributes) stops the server.
        try """
        @id("reads-a-peer-attribute")
        forbid (principal, action, resource) when { principal.department == "contractors" };
        """.write(toFile: chaining, atomically: true, encoding: .utf8)
        let (status, failure) = try await ChildProcess.run(TesseraProcess.binary, ["serve", "--config", setup.config], capture: .both)
        #expect(status != 0)
        #expect(failure.contains("chaining.policy_file"))
        #expect(failure.contains("\(chaining), policy reads-a-peer-attribute,"))
    }

    /// A policy of `chaining.policy_file` that, translated, can never apply is logged at start like the owner's
    /// (Cedar's `impossiblePolicy`), placed at the file's own line and column; a rule reading the grant's
    /// `claims` (present at run time, undeclared in the vocabulary) is not reported, and the server starts.
    @Test func serveWarnsAboutATranslatedPolicyThatCanNeverApply() async throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let chaining = setup.directory.appendingPathComponent("chaining.cedar").path
        try """
        permit (principal == Peer::"b", action == Action::"request_scope", resource)
        when { context.claims has department && context.claims.department == "finance" };
        @id("switched-off")
        forbid (principal == Peer::"b", action == Action::"request_scope", resource == Scope::"admin") when { false };
        @id("no-contractors")
        forbid (principal == Peer::"b", action == Action::"request_scope", resource)
        when { context has claims && context.claims has role && context.claims.role == "contractor" };
        """.write(toFile: chaining, atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: setup.config, encoding: .utf8)
        try
            (config + """

                chaining:
                  policy_file: \(chaining)
                  peers:
                    - {name: b, issuer: "https://as-b.example"}
                """).write(toFile: setup.config, atomically: true, encoding: .utf8)
        let server = try await TesseraProcess(["--config", setup.config])
        try await server.stop()
        let warnings = server.log.split(separator: "\n").filter { $0.contains("policy is impossible") }
        #expect(warnings.count == 1, "\(server.log)")
        #expect(
            warnings.first?.contains("\(chaining):3:1: policy policy1 @id(\"switched-off\"): policy is impossible") == true,
            "\(server.log)"
        )
    }

    /// `policy check --config` reports what `serve` logs at start: the owner file's warnings and those of the translated
    /// `chaining.policy_file`, in the same words, and the exit code stays 0 (warnings do not stop the server).
    @Test func checkWithTheConfigurationPrintsTheTranslatedFilesWarningsToo() async throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let chaining = setup.directory.appendingPathComponent("chaining.cedar").path
        try """
        permit (principal == Peer::"b", action == Action::"request_scope", resource);
        @id("switched-off")
        forbid (principal == Peer::"b", action == Action::"request_scope", resource == Scope::"admin") when { false };
        """.write(toFile: chaining, atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: setup.config, encoding: .utf8)
        try
            (config + """

                chaining:
                  policy_file: \(chaining)
                  peers:
                    - {name: b, issuer: "https://as-b.example"}
                """).write(toFile: setup.config, atomically: true, encoding: .utf8)
        let (status, output) = try await ChildProcess.run(TesseraProcess.binary, ["policy", "check", "--config", setup.config])
        #expect(status == 0, "\(output)")
        #expect(output.contains("warning: \(chaining):2:1: policy policy1 @id(\"switched-off\"): policy is impossible"), "\(output)")
        #expect(output.contains("\(setup.policy): valid against the Tessera vocabulary"), "\(output)")
    }

    @Test func explainPrintsTheDecisionAndThePoliciesThatDecidedIt() async throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let (refused, output) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["policy", "explain", "--config", setup.config, "--client", "reporting", "--scope", "read write"]
        )
        #expect(refused == 2, "\(output)")
        #expect(output.contains(#"Scope::"read": permitted"#))
        #expect(output.contains(#"decided by "registered-scopes-for-itself""#))
        #expect(output.contains(#"Scope::"write": forbidden"#))
        #expect(output.contains(#"decided by "reporting-never-writes" in \#(setup.policy) at 2:1"#))
        #expect(output.contains("decision: deny"))

        let (allowed, allowedOutput) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["policy", "explain", "--config", setup.config, "--client", "reporting", "--scope", "read"]
        )
        #expect(allowed == 0, "\(allowedOutput)")
        #expect(allowedOutput.contains("decision: allow"))

        let (unknown, unknownOutput) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["policy", "explain", "--config", setup.config, "--client", "someone", "--client-scopes", "", "--scope", "read"]
        )
        #expect(unknown == 2, "\(unknownOutput)")
        #expect(unknownOutput.contains("no policy permits it"))
    }

    @Test func serveRefusesToStartWithABrokenOwnerPolicy() async throws {
        let setup = try Self.setUp(policy: "forbid (principal, action, resource) when { context.nope };\n")
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let (status, output) = try await ChildProcess.run(TesseraProcess.binary, ["serve", "--config", setup.config], capture: .both)
        #expect(status != 0)
        #expect(output.contains("policy.file"))
        #expect(output.contains("\(setup.policy):1:1:"))
    }

    @Test func helpDocumentsThePolicyCommands() async throws {
        let (status, output) = try await ChildProcess.run(TesseraProcess.binary, ["policy", "--help"])
        #expect(status == 0)
        for command in ["show", "check", "explain"] { #expect(output.contains(command)) }
        #expect(output.contains("Action::\"token\""))
    }
}
