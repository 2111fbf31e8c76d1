import ArgumentParser
import Cedar
import Foundation

/// `tessera cedar …`: run the Cedar engine from the command line. Parses arguments, calls the
/// `Cedar` library, prints; nothing else.
struct CedarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cedar",
        abstract: "Evaluate, check, format and test Cedar policies.",
        subcommands: [
            Authorize.self, Check.self, Validate.self, Schema.self, Format.self, Explain.self, Test.self, Bench.self, GrantBench.self,
        ]
    )
}

extension CedarCommand {
    static func readFile(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("cannot read \(path)")
            throw ExitCode.failure
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func loadPolicies(_ path: String) throws -> PolicySet {
        let text = try readFile(path)
        do {
            return path.hasSuffix(".json") ? try PolicySet(json: text) : try PolicySet(parsing: text, filename: path)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }

    static func loadSchema(_ path: String) throws -> Cedar.Schema {
        let text = try readFile(path)
        do {
            return path.hasSuffix(".json") ? try Cedar.Schema(json: text) : try Cedar.Schema(text: text)
        } catch {
            printError("\(path):\(error)")
            throw ExitCode.failure
        }
    }

    /// `tessera cedar validate`: type-checks policies against a schema; exit 1 if any policy is invalid.
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate policies against a schema (exit 0 valid, 1 invalid or unreadable).",
            discussion:
                "A valid policy that can never apply (a misspelled `has` member, for example) is printed as a warning; the exit code stays 0."
        )

        @Option(help: "Schema file (.cedarschema, or the JSON schema format when it ends in .json).")
        var schema: String
        @Option(help: "Policy file (Cedar text, or the JSON policy format when it ends in .json).")
        var policies: String
        @Flag(help: "Permissive mode instead of strict.")
        var permissive = false

        func run() async throws {
            let s = try CedarCommand.loadSchema(schema)
            let set = try CedarCommand.loadPolicies(policies)
            let report = Validator(schema: s, mode: permissive ? .permissive : .strict).validate(set)
            for id in report.policyIDs {
                let errors = report.errors.filter { $0.policyID == id }
                print("\(id): \(errors.isEmpty ? "valid" : "INVALID")")
                for e in errors {
                    print("  \(policies):\(e.location.map { "\($0): " } ?? "")\(e.message)\(e.expression.map { " in `\($0)`" } ?? "")")
                }
            }
            // A policy that can never apply (Cedar's impossiblePolicy) is valid: a warning, the exit code stays 0.
            for warning in report.warnings { print("warning: " + warning.diagnostic(source: policies, in: set)) }
            let warned = report.warnings.isEmpty ? "" : ", \(report.warnings.count) warning(s)"
            print(report.isValid ? "valid" + warned : "invalid: \(report.errors.count) error(s)")
            if !report.isValid { throw ExitCode.failure }
        }
    }

    /// `tessera cedar schema`: checks a schema and prints it in either format (converting between them).
    struct Schema: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse a schema (.cedarschema or JSON) and print it as .cedarschema text, or as JSON with --json."
        )

        @Argument(help: "Schema file (.cedarschema, or the JSON schema format when it ends in .json).")
        var file: String
        @Flag(help: "Print the JSON schema format instead.")
        var json = false

        func run() async throws {
            let s = try CedarCommand.loadSchema(file)
            print(json ? SchemaPrinter.json(s) : SchemaPrinter.cedarschema(s), terminator: json ? "\n" : "")
        }
    }

    /// `tessera cedar authorize`: prints the answer as JSON; exit 0 allow, 2 deny, 1 error.
    struct Authorize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Authorize one request; prints the answer as JSON (exit 0 allow, 2 deny, 1 error)."
        )

        @Option(help: "Policy file (Cedar text, or the JSON policy format when it ends in .json).")
        var policies: String
        @Option(help: "Entities JSON file.")
        var entities: String
        @Option(help: "Request JSON file: {principal, action, resource, context}.")
        var request: String
        @Option(help: "Schema file: entities and context are parsed and validated against it, and the policies validated (strict).")
        var schema: String?

        func run() async throws {
            let set = try CedarCommand.loadPolicies(policies)
            let entitiesText = try CedarCommand.readFile(entities)
            let requestText = try CedarCommand.readFile(request)
            let store: EntityStore
            let req: AuthorizationRequest
            do {
                if let schema {
                    let s = try CedarCommand.loadSchema(schema)
                    let report = Validator(schema: s).validate(set)
                    guard report.isValid else {
                        for e in report.errors { printError("\(policies): \(e)") }
                        throw ExitCode.failure
                    }
                    store = try s.entityStore(json: entitiesText)
                    req = try s.request(json: requestText)
                } else {
                    store = try EntityStore(json: entitiesText)
                    req = try AuthorizationRequest(json: requestText)
                }
            } catch let error as ExitCode {
                throw error
            } catch let error as CedarParseError {
                printError(error.description)
                throw ExitCode.failure
            }
            let response = Authorizer(policies: set).isAuthorized(req, entities: store)
            print(response.jsonString())
            if response.decision == .deny { throw ExitCode(2) }
        }
    }

    /// `tessera cedar check`: parses policy files and reports every error with line:column.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Parse policy files and report errors (exit 1 if any).")

        @Argument(help: "Policy files (Cedar text, or JSON policy format when the name ends in .json).")
        var files: [String]

        func run() async throws {
            var failed = false
            for file in files {
                let text = try CedarCommand.readFile(file)
                do {
                    let set = file.hasSuffix(".json") ? try PolicySet(json: text) : try PolicySet(parsing: text, filename: file)
                    print("\(file): OK (\(set.staticPolicies.count) policies, \(set.templates.count) templates, \(set.links.count) links)")
                } catch {
                    failed = true
                    print("\(file): ERROR")
                    for d in error.diagnostics { print("  \(d)") }
                }
            }
            if failed { throw ExitCode.failure }
        }
    }

    /// `tessera cedar format`: prints policies in canonical Cedar syntax (or as JSON).
    /// `tessera cedar explain`: each policy in plain language, from the schema's display names
    /// (`@label`, `@doc`; docs/cedar.md "Explaining policies"). Clauses that cannot be put into
    /// words are printed as Cedar code.
    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain policies in plain language, using a schema's display names."
        )

        @Option(help: "Schema file (.cedarschema, or the JSON schema format when it ends in .json).")
        var schema: String
        @Argument(help: "Policy file (Cedar text, or JSON policy format when it ends in .json).")
        var policies: String
        @Option(help: "Language of the explanation (a BCP 47 tag: en, de); the schema's @label_<language> names are used.")
        var language = "en"

        func run() async throws {
            let s = try CedarCommand.loadSchema(schema)
            let set = try CedarCommand.loadPolicies(policies)
            let explainer = PolicyExplainer(schema: s, phrases: .builtIn(for: language))
            print(PolicyExplanation.text(explainer.explain(set)), terminator: "")
        }
    }

    struct Format: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a policy file in canonical Cedar syntax.")

        @Argument(help: "Policy file (Cedar text, or JSON policy format when it ends in .json).")
        var file: String
        @Flag(help: "Print the JSON policy format instead.")
        var json = false

        func run() async throws {
            let set = try CedarCommand.loadPolicies(file)
            print(json ? set.jsonString() : PolicyFormatter.format(set), terminator: json ? "\n" : "")
        }
    }

    /// `tessera cedar test`: runs integration-format tests and ends with `N passed, M failed`.
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run Cedar integration-format test files (a file, or every *.json test under a folder)."
        )

        @Argument(help: "Test files or folders.")
        var paths: [String]
        @Flag(help: "Use each test's schema: schema-based entity/context parsing, check shouldValidate and validateRequest.")
        var schema = false

        func run() async throws {
            var passed = 0
            var failed = 0
            for file in IntegrationTestRunner.testFiles(in: paths) {
                let report = IntegrationTestRunner.run(file: file, useSchema: schema)
                if let e = report.fileError {
                    print("FAIL \(file): \(e)")
                    failed += 1
                    continue
                }
                if let m = report.validationMismatch {
                    print("FAIL \(file) [validation]: \(m)")
                    failed += 1
                }
                for r in report.requests {
                    if r.passed {
                        passed += 1
                        continue
                    }
                    failed += 1
                    print("FAIL \(file) [\(r.description)]")
                    print("  expected: \(r.expected)")
                    print("  actual:   \(r.actual.map(\.description) ?? "input error: \(r.inputError ?? "")")")
                }
            }
            print("\(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode.failure }
        }
    }
}
