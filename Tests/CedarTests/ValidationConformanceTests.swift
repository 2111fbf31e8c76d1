import Foundation
import Testing

@testable import Cedar

/// The reference validator's verdicts (../shared/cedar-tests/validation) against ours.
enum ValidationData {
    static var files: [String] {
        guard let root = CedarTestData.root else { return [] }
        let dir = root + "/validation"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".validation.json") }.sorted().map { dir + "/" + $0 }
    }

    static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// (policy id, mode) pairs where our verdict differs from the reference, or a setup error.
    static func mismatches(_ file: String) -> [String] {
        guard let root = CedarTestData.root, let text = read(file), case .success(let expected) = JSONReader.parse(text) else {
            return ["cannot read \(file)"]
        }
        let id = URL(fileURLWithPath: file).lastPathComponent.replacingOccurrences(of: ".validation.json", with: "")
        guard let testText = read(root + "/corpus-tests/\(id).json"), case .success(let test) = JSONReader.parse(testText),
            let schemaPath = test["schema"]?.stringValue, let policiesPath = test["policies"]?.stringValue,
            let schemaText = read(root + "/" + schemaPath), let policyText = read(root + "/" + policiesPath)
        else { return ["cannot read the corpus test for \(id)"] }
        let schema: Schema
        do throws(SchemaError) {
            schema = try Schema(text: schemaText)
        } catch {
            return ["schema \(schemaPath): \(error)"]
        }
        guard let set = try? PolicySet(parsing: policyText) else { return ["policies do not parse"] }
        var out: [String] = []
        for mode in ValidationMode.allCases {
            let report = Validator(schema: schema, mode: mode).validate(set)
            for member in expected["policyValidation"]?["perPolicy"]?.objectMembers ?? [] {
                guard case .bool(let want)? = member.value[mode.rawValue] else { continue }
                let got = report.isValid(policy: member.key)
                if got != want {
                    let why = report.errors.filter { $0.policyID == member.key }.map(\.description).joined(separator: "; ")
                    out.append(
                        "\(id) \(member.key) \(mode): expected \(want ? "valid" : "invalid"), got \(got ? "valid" : "invalid") \(why)"
                    )
                }
            }
        }
        return out
    }
}

@Suite struct ValidationConformanceTests {
    @Test func validationDataIsPresent() {
        #expect(ValidationData.files.count >= 500, "../shared/cedar-tests/validation was not found")
    }

    @Test(arguments: ValidationData.files)
    func verdictsMatchReference(_ file: String) {
        for m in ValidationData.mismatches(file) { Issue.record(Comment(rawValue: m)) }
    }
}
