import Foundation
import TesseraTesting
import Testing

/// `tessera cedar explain --schema S POLICIES` run as an operator would (issue 21, item 1): the
/// seed's Figure 2 in plain language, an unreadable clause printed as code, bad input refused.
@Suite struct CedarExplainProcessTests {
    static func write(_ text: String, _ name: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-explain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func figure2IsPrintedInPlainLanguage() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let schema = try Self.write(SeedFigures.bankSchemaDeclaringNow, "bank.cedarschema", in: dir)
        let policies = try Self.write(
            try SeedFigures.policySet(SeedFigures.figure2)
                + "\npermit (principal, action, resource) when { [1, 2].contains(context.n) };\n",
            "figure2.cedar",
            in: dir
        )
        let (status, output) = try await ChildProcess.run(TesseraProcess.binary, ["cedar", "explain", "--schema", schema, policies])
        #expect(status == 0, "\(output)")
        #expect(output.contains(#"User "\#(SeedFigures.user)" may initiate, status or cancel on creditor "https://example.com/payments","#))
        #expect(output.contains("- the instructed amount is exactly 123.50 EUR"))
        #expect(output.contains("- the iban of the creditor account of the creditor is DE02 1001 0010 9307 1186 03"))
        #expect(output.contains("policy1 (permit): Anyone may do any action on any resource,"))
        #expect(output.contains("- as Cedar code (not put into words): [1, 2].contains(context.n)"))
    }

    @Test func anUnreadableSchemaIsRefusedWithExitOne() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let schema = try Self.write("entity User = { name: Nope };", "bad.cedarschema", in: dir)
        let policies = try Self.write("permit (principal, action, resource);", "p.cedar", in: dir)
        let (status, output) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["cedar", "explain", "--schema", schema, policies],
            capture: .both
        )
        #expect(status == 1)
        #expect(output.contains("unknown type `Nope`"))
    }
}
