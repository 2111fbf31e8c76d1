import Foundation

/// Runs test files in the Cedar integration-test format (`policies`, `entities`, `schema`,
/// `requests[]` with expected `decision`, `reason` and `errors`). Policy ids are `policy0`,
/// `policy1`, … in file order; reasons and errors are compared as sets, messages are not.
///
/// Used by `tessera cedar test` and by the conformance tests. Paths inside a test file are
/// resolved against the file's folder and its ancestors (the corpus writes them relative to
/// the corpus root).
public enum IntegrationTestRunner {
    /// The expected or actual answer to one request.
    public struct Answer: Sendable, Hashable, CustomStringConvertible {
        /// `allow` or `deny`.
        public var decision: AuthorizationResponse.Decision
        /// Determining policy ids.
        public var reasons: Set<String>
        /// Erroring policy ids.
        public var errors: Set<String>

        public var description: String {
            "\(decision.rawValue) reasons=\(reasons.sorted()) errors=\(errors.sorted())"
        }
    }

    /// The outcome of one request of a test file.
    public struct RequestOutcome: Sendable, Hashable {
        /// The request's description.
        public var description: String
        /// What the file expects.
        public var expected: Answer
        /// What the engine answered (`nil` when the inputs could not be loaded).
        public var actual: Answer?
        /// Why the inputs could not be used, if so.
        public var inputError: String?
        /// Whether actual equals expected.
        public var passed: Bool { actual == expected }
    }

    /// The outcome of a test file.
    public struct FileReport: Sendable {
        /// The test file.
        public var path: String
        /// One outcome per request.
        public var requests: [RequestOutcome]
        /// Set when the file itself could not be read.
        public var fileError: String?
        /// With a schema: set when the validator's verdict on the policies differs from `shouldValidate`.
        public var validationMismatch: String? = nil
    }

    /// Expands paths: files as given, folders to every `*.json` test file below them (sorted).
    public static func testFiles(in paths: [String]) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for path in paths {
            guard fm.fileExists(atPath: path), (try? fm.contentsOfDirectory(atPath: path)) != nil else {
                out.append(path)
                continue
            }
            let base = URL(fileURLWithPath: path)
            var found: [String] = []
            let subpaths = (try? fm.subpathsOfDirectory(atPath: path)) ?? []
            for rel in subpaths {
                guard rel.hasSuffix(".json"), !rel.hasSuffix(".entities.json"), !rel.hasSuffix(".validation.json") else { continue }
                let full = base.appendingPathComponent(rel).path
                if isTestFile(full) { found.append(full) }
            }
            out += found.sorted()
        }
        return out
    }

    private static func isTestFile(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path),
            case .success(let json) = JSONReader.parse(bytes: [UInt8](data))
        else { return false }
        return json["policies"] != nil && json["requests"] != nil
    }

    private static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func resolve(_ relative: String, from testFile: String) -> String? {
        if relative.hasPrefix("/") { return relative }
        var dir = URL(fileURLWithPath: testFile).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(relative).path
        return FileManager.default.fileExists(atPath: cwd) ? cwd : nil
    }

    /// Runs one test file. With `useSchema`, the file's schema is loaded: entities and contexts
    /// are parsed against it (implicit entity references and extension values, action entities
    /// from the schema), the policies are validated (strict) and the verdict compared with
    /// `shouldValidate`, and requests marked `validateRequest` are validated.
    public static func run(file path: String, useSchema: Bool = false) -> FileReport {
        guard let text = read(path) else { return FileReport(path: path, requests: [], fileError: "cannot read \(path)") }
        guard case .success(let json) = JSONReader.parse(text), let requests = json["requests"]?.arrayValue,
            let policiesPath = json["policies"]?.stringValue, let entitiesPath = json["entities"]?.stringValue
        else {
            return FileReport(path: path, requests: [], fileError: "\(path) is not an integration test file")
        }
        var setupError: String?
        var authorizer: Authorizer?
        var store = EntityStore()
        var schema: Schema?
        if useSchema {
            if let schemaPath = json["schema"]?.stringValue, let s = resolve(schemaPath, from: path), let schemaText = read(s) {
                do throws(SchemaError) {
                    schema = try Schema(text: schemaText)
                } catch {
                    setupError = "schema: \(error)"
                }
            } else {
                setupError = "cannot read the schema"
            }
        }
        var validationMismatch: String?
        if let p = resolve(policiesPath, from: path), let policyText = read(p) {
            do throws(CedarParseError) {
                let set =
                    json["policyFormat"]?.stringValue == "json"
                    ? try PolicySet(json: policyText) : try PolicySet(parsing: policyText, filename: policiesPath)
                authorizer = Authorizer(policies: set)
                if let schema {
                    let report = Validator(schema: schema).validate(set)
                    var expected = true
                    if case .bool(let b)? = json["shouldValidate"] { expected = b }
                    if report.isValid != expected {
                        let errors = report.errors.map(\.description).joined(separator: "; ")
                        validationMismatch = "shouldValidate is \(expected), the validator says \(report.isValid) \(errors)"
                    }
                }
            } catch {
                setupError = "policies: \(error)"
            }
        } else {
            setupError = "cannot read policies \(policiesPath)"
        }
        if let e = resolve(entitiesPath, from: path), let entityText = read(e) {
            do throws(CedarParseError) {
                if let schema {
                    store = try schema.entityStore(json: entityText)
                } else {
                    store = try EntityStore(json: entityText)
                }
            } catch {
                setupError = setupError ?? "entities: \(error)"
            }
        } else {
            setupError = setupError ?? "cannot read entities \(entitiesPath)"
        }
        var outcomes: [RequestOutcome] = []
        for (n, r) in requests.enumerated() {
            let expected = Answer(
                decision: r["decision"]?.stringValue?.lowercased() == "allow" ? .allow : .deny,
                reasons: Set((r["reason"]?.arrayValue ?? []).compactMap(\.stringValue)),
                errors: Set((r["errors"]?.arrayValue ?? []).compactMap(\.stringValue))
            )
            var outcome = RequestOutcome(
                description: r["description"]?.stringValue ?? "request \(n)",
                expected: expected,
                actual: nil,
                inputError: setupError
            )
            if let authorizer, setupError == nil {
                do throws(CedarParseError) {
                    var validate = true
                    if case .bool(let b)? = r["validateRequest"] { validate = b }
                    let request: AuthorizationRequest
                    if let schema {
                        request = try schema.request(jsonValue: r, validate: validate)
                    } else {
                        request = try AuthorizationRequest(jsonValue: r)
                    }
                    let answer = authorizer.isAuthorized(request, entities: store)
                    outcome.actual = Answer(
                        decision: answer.decision,
                        reasons: answer.diagnostics.reasons,
                        errors: Set(answer.diagnostics.errors.map(\.policyID))
                    )
                } catch {
                    outcome.inputError = "request: \(error)"
                }
            }
            outcomes.append(outcome)
        }
        return FileReport(path: path, requests: outcomes, fileError: nil, validationMismatch: validationMismatch)
    }
}
