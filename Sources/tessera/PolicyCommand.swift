import ArgumentParser
import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage

extension Tessera {
    /// `tessera policy …`: the one decision point's policies (docs/policy.md). Parses arguments,
    /// asks the engine's `DecisionPoint`, prints; nothing else.
    struct PolicyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "policy",
            abstract: "Show, check and explain the Cedar policies that decide both doors (OAuth and GNAP).",
            discussion: """
                Both doors ask one decision point, in one built-in Cedar vocabulary: principal Client::"<client_id or GNAP instance_id>", action Action::"token" | "approve" | "refresh" | "exchange" | "redeem", resource Scope::"<scope or GNAP access type>" or Resource::"<audience>", context { door, grantType, scopes, audiences, requestedTokenType, peer, user? }; Action::"introspect" and Action::"challenge" with resource TrustDomain::"<issuer>".

                The shipped defaults say today's rules (registered scopes, GNAP allowed_access, person approval, introspection audiences); chaining.peers[].id_jag and .scopes and gnap.interaction.resource_owners are translated into policies, and chaining.policy_file, chaining.id_jag_policy_file and client_challenges.policy from their old vocabularies; the owner adds a policy set with `policy: { file: policy.cedar }` in the configuration (`replace_defaults: true` to replace them). A set that does not parse or validate stops the server. See docs/policy.md.
                """,
            subcommands: [Show.self, Check.self, Explain.self, Vocabulary.self]
        )
    }
}

extension Tessera.PolicyCommand {
    /// `tessera policy show`: the effective policy set and the data the defaults read.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective policy set: the shipped defaults (unless replaced), then the owner's policies."
        )
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let configuration = try global.loadConfiguration()
            let point = configuration.decisionPoint
            print(point.effectivePolicyText, terminator: "")
            print("\n// ==== data the policies read (from the configuration; clients in the database are read at request time) ====")
            for client in configuration.clients {
                print(
                    "// Client::\"\(client.id)\": door \"oauth\", registered, scopes \(Self.set(client.scopes.split(separator: " ").map(String.init)))"
                )
            }
            for instance in configuration.gnap.instances {
                print("// Client::\"\(instance.id)\": door \"gnap\", registered, scopes \(Self.set(instance.allowedAccess.sorted()))")
            }
            print("// Client::\"jkt:<thumbprint>\": door \"gnap\", not registered, no scopes (any unregistered GNAP key)")
        }

        static func set(_ scopes: [String]) -> String {
            "[" + scopes.map { "Scope::\"\($0)\"" }.joined(separator: ", ") + "]"
        }
    }

    /// `tessera policy check`: validates a policy file against the built-in vocabulary.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate an owner policy file against the built-in vocabulary (exit 0 valid, 1 invalid).",
            discussion: """
                Without FILE, checks the configuration's policy.file and prints the warnings of the files it translates \
                (chaining.policy_file, chaining.id_jag_policy_file, client_challenges.policy) as `tessera serve` logs them. \
                Every problem is printed with file:line:column. \
                A policy that is valid but can never apply (a misspelled `has` member, for example) is printed as a warning, and the exit code stays 0.
                """
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The Cedar policy file to check.")
        var file: String?

        func run() async throws {
            let path: String
            if let file {
                path = file
            } else {
                let configuration = try global.loadConfiguration()
                // Loading the configuration already validated its policy files; what remains are the warnings
                // `serve` logs at start, the translated files' (chaining, ID-JAG, client challenges) included.
                let translated = configuration.translatedPolicyWarnings
                for warning in translated { print("warning: " + warning) }
                guard let owner = configuration.policy else {
                    guard translated.isEmpty else {
                        print("translated policy files: \(translated.count) warning(s); the configuration has no policy.file")
                        return
                    }
                    throw CommandFailure("no policy file given, and the configuration has no policy.file")
                }
                Self.report(owner)
                return
            }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CommandFailure("cannot read \(path)") }
            do {
                Self.report(try OwnerPolicy(text: text, source: path))
            } catch {
                printError(error.description)
                throw ExitCode.failure
            }
        }

        /// Prints a valid set's warnings, one line each naming the policy and its position, then the verdict.
        /// - Parameter owner: the validated set.
        static func report(_ owner: OwnerPolicy) {
            for warning in owner.warnings { print("warning: " + warning) }
            let count = owner.warnings.count
            print("\(owner.source): valid against the Tessera vocabulary" + (count == 0 ? "" : ", \(count) warning(s)"))
        }
    }

    /// `tessera policy vocabulary`: the built-in schema.
    struct Vocabulary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the built-in vocabulary (the Cedar schema owner policies are checked against)."
        )

        func run() async throws { print(PolicyVocabulary.schemaText) }
    }

    /// `tessera policy explain`: decides a described request and says which policies decided it.
    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide a described request with the effective policies and print which policies decided it.",
            discussion: """
                The client is looked up among the configuration's GNAP instances and clients, then in the database; --client-scopes describes a client that is not registered anywhere. Exit 0 when every scope is permitted, 2 otherwise.
                """
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "The client_id or GNAP instance_id asking.")
        var client: String
        @Option(help: "The engine operation: token, approve, refresh, exchange or redeem.")
        var action: String = "token"
        @Option(help: "Space-separated scopes (or GNAP access types) asked for.")
        var scope: String
        @Option(help: "The person the token would act for, if any.")
        var user: String?
        @Option(help: "An audience asked for (OAuth resource, GNAP location); repeat for several.")
        var resource: [String] = []
        @Option(help: "The door the request comes through: oauth or gnap. Default: the client's.")
        var door: String?
        @Option(
            name: .customLong("requested-token-type"),
            help: "RFC 8693 requested_token_type (an ID-JAG: urn:ietf:params:oauth:token-type:id-jag)."
        )
        var requestedTokenType: String = ""
        @Option(help: "The chaining peer (chaining.peers[].name) whose grant is redeemed, or the ID-JAG is for.")
        var peer: String = ""
        @Option(help: "With --peer: the claims (a JSON object) of the grant redeemed or the ID token, as chaining policy files read them.")
        var claims: String = "{}"
        @Option(
            name: .customLong("client-scopes"),
            help: "Describe an unregistered client with these registered scopes instead of looking it up."
        )
        var clientScopes: String?

        func validate() throws {
            guard let operation = AccessQuestion.Operation(named: action) else {
                throw ValidationError("--action must be one of \(AccessQuestion.Operation.all.map(\.name).joined(separator: ", "))")
            }
            guard operation != .introspect, operation != .challenge else {
                throw ValidationError(
                    "explain answers what a client may obtain; introspect and challenge are asked per token and per request (docs/policy.md)"
                )
            }
            if let door, AccessQuestion.Party.Door(rawValue: door) == nil { throw ValidationError("--door must be oauth or gnap") }
        }

        func run() async throws {
            let configuration = try global.loadConfiguration()
            let point = configuration.decisionPoint
            let party = try await party(configuration)
            let operation = AccessQuestion.Operation(named: action) ?? .token
            let requestDoor = door.flatMap(AccessQuestion.Party.Door.init(rawValue:)) ?? party.door
            let idJAG = requestedTokenType == TokenTypeIdentifier.idJAG
            let audiences: [String]
            do { audiences = try idJAGAudiences(configuration) ?? resource } catch {
                print("refused before policy: \(error.description)\ndecision: deny")
                throw ExitCode(2)
            }
            var question = AccessQuestion(
                party: party,
                operation: operation,
                rights: scope.split(separator: " ").map(String.init),
                audiences: audiences,
                user: user,
                door: requestDoor,
                grantType: requestDoor == .gnap ? "gnap" : operation == .approve ? "authorize" : "explain"
            )
            question.requestedTokenType = requestedTokenType
            // `context.peer` names the peer whose grant is redeemed; an ID-JAG's peer is in `context.chaining` alone.
            question.peer = idJAG ? "" : peer
            if !peer.isEmpty {
                guard case .object(let claims)? = try? JSONDecoder().decode(JSONValue.self, from: Data(claims.utf8)) else {
                    throw ValidationError("--claims must be a JSON object")
                }
                let issuer = configuration.chaining.peers.first { $0.name == peer }?.issuer ?? peer
                question.chaining = Self.chainingFacts(
                    peer: peer,
                    issuer: issuer,
                    idJAG: idJAG,
                    question: question,
                    claims: claims
                )
            }
            let decision = point.decide(question)
            print(
                "request: Client::\"\(party.id)\" (\(party.door.rawValue), \(party.registered ? "registered" : "not registered")) "
                    + "Action::\"\(operation.name)\" through \(requestDoor.rawValue)" + (user.map { " for User::\"\($0)\"" } ?? "")
            )
            for ruling in decision.rulings {
                print("\(ruling.kind == .audience ? "Resource" : "Scope")::\"\(ruling.right)\": \(ruling.verdict.rawValue)")
                if ruling.policies.isEmpty { print("  no policy permits it (Cedar denies by default)") }
                for reference in ruling.policies {
                    print("  decided by \(reference) in \(reference.source)" + (reference.location.map { " at \($0)" } ?? ""))
                    for line in (point.text(of: reference) ?? "").split(separator: "\n") { print("    " + line) }
                }
                for error in ruling.errors { print("  error: \(error)") }
            }
            print("decision: \(decision.isPermitted ? "allow" : "deny")")
            if !decision.isPermitted { throw ExitCode(2) }
        }

        /// The audiences the IdP decides an ID-JAG for `--peer` with (``IDJAGIssuer``): the peer's issuer and each
        /// `--resource`, never none; `nil` when no ID-JAG for a configured peer is described.
        /// - Throws: ``CommandFailure`` saying why the server refuses the request before any policy (`invalid_target`):
        ///   a resource the peer's `id_jag.resources` does not list, or none when it lists some (RFC 8707 §2).
        private func idJAGAudiences(_ configuration: ServerConfiguration) throws(CommandFailure) -> [String]? {
            let settings = configuration.chaining.peers.first { $0.name == peer }
            guard requestedTokenType == TokenTypeIdentifier.idJAG, let settings else { return nil }
            let resources = resource.filter { $0 != settings.issuer }
            let listed = settings.idJAG?.resources ?? []
            if let unknown = resources.first(where: { !listed.contains($0) }) {
                throw CommandFailure("resource '\(unknown)' is not one an ID-JAG for '\(peer)' may name (invalid_target)")
            }
            if resources.isEmpty, !listed.isEmpty {
                throw CommandFailure(
                    "an ID-JAG for '\(peer)' must name a resource (invalid_target, RFC 8707 §2): add --resource with one of \(listed.joined(separator: ", "))"
                )
            }
            return [settings.issuer] + resources
        }

        private func party(_ configuration: ServerConfiguration) async throws -> AccessQuestion.Party {
            if let clientScopes {
                return .init(
                    id: client,
                    door: door == "gnap" ? .gnap : .oauth,
                    registered: false,
                    scopes: Set(clientScopes.split(separator: " ").map(String.init))
                )
            }
            if let instance = configuration.gnap.instances.first(where: { $0.id == client }) {
                return .init(id: instance.id, door: .gnap, registered: true, scopes: instance.allowedAccess)
            }
            if let definition = configuration.clients.first(where: { $0.id == client }) {
                return .init(
                    id: definition.id,
                    door: .oauth,
                    registered: true,
                    scopes: Set(definition.scopes.split(separator: " ").map(String.init))
                )
            }
            let record = try await TesseraDatabase.withConnection(url: configuration.databaseURL) {
                try await $0.stores.clients.client(id: client)
            }
            guard let record else {
                throw CommandFailure("no client or GNAP instance '\(client)' is registered; describe it with --client-scopes")
            }
            return .init(id: record.id, door: .oauth, registered: true, scopes: Set(record.scopes))
        }
    }
}

extension Tessera.PolicyCommand.Explain {
    /// `context.chaining` as the server fills it (docs/policy.md): a redeemed grant's facts, or an ID token's.
    /// - Parameters:
    ///   - peer: the peer's name.
    ///   - issuer: the peer's issuer.
    ///   - idJAG: whether an ID-JAG is asked for (else a peer grant is redeemed).
    ///   - question: the question (client, person, audiences).
    ///   - claims: the grant's or ID token's claims.
    /// - Returns: the facts.
    static func chainingFacts(
        peer: String,
        issuer: String,
        idJAG: Bool,
        question: AccessQuestion,
        claims: [String: JSONValue]
    )
        -> [String: JSONValue]
    {
        let subject = JSONValue.string(question.user ?? "")
        guard idJAG else {
            return [
                "issuer": .string(issuer), "subject": subject, "client_id": claims["client_id"] ?? .string(""),
                "redeeming_client": .string(question.party.id), "claims": .object(claims), "actor": .string(""),
            ]
        }
        return [
            "audience": .string(issuer), "resource": .array(question.audiences.filter { $0 != issuer }.map(JSONValue.string)),
            "subject": subject, "subject_issuer": claims["iss"] ?? .null, "claims": .object(claims), "peer": .string(peer),
        ]
    }
}

extension ServerConfiguration {
    /// The decision point a server with this configuration asks: the shipped defaults, the
    /// configuration's keys and policy files translated into the one vocabulary, the owner's set.
    var decisionPoint: DecisionPoint {
        var translated = chaining.translatedPolicies
        if let text = clientChallenges.policy {
            let source = clientChallenges.policyFile ?? "client_challenges.policy"
            translated.append(.orForbidAll(text: text, source: source, role: .clientChallenges))
        }
        return DecisionPoint(
            owner: policy,
            issuer: issuer ?? "",
            configured: ConfiguredPolicies.text(trust: chaining, resourceOwners: gnap.interaction.resourceOwners),
            translated: translated
        )
    }
}
