import Foundation
import Testing

@testable import Cedar

/// Locates ../shared/cedar-tests (or $TESSERA_CEDAR_TESTS).
enum CedarTestData {
    static let root: String? = {
        if let env = ProcessInfo.processInfo.environment["TESSERA_CEDAR_TESTS"], !env.isEmpty { return env }
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("../shared/cedar-tests").standardizedFileURL.path
            if FileManager.default.fileExists(atPath: candidate + "/corpus-tests") { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        if FileManager.default.fileExists(atPath: "/work/shared/cedar-tests/corpus-tests") { return "/work/shared/cedar-tests" }
        return nil
    }()

    static var corpusFiles: [String] {
        guard let root else { return [] }
        return IntegrationTestRunner.testFiles(in: [root + "/corpus-tests"])
    }
}

@Suite struct CorpusTests {
    @Test func corpusIsPresent() {
        #expect(CedarTestData.corpusFiles.count >= 500, "the Cedar corpus was not found; set TESSERA_CEDAR_TESTS")
    }

    @Test(arguments: CedarTestData.corpusFiles)
    func corpusCaseAgreesWithReference(_ file: String) {
        let report = IntegrationTestRunner.run(file: file)
        #expect(report.fileError == nil, "\(report.fileError ?? "")")
        #expect(!report.requests.isEmpty)
        for r in report.requests {
            #expect(r.inputError == nil, "\(file) \(r.description): \(r.inputError ?? "")")
            #expect(r.passed, "\(file) \(r.description): expected \(r.expected), got \(r.actual.map(\.description) ?? "nothing")")
        }
    }
}
