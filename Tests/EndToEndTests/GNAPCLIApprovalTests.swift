import Foundation
import TesseraClient
import TesseraProtocol
import Testing

/// `tessera gnap approve` decides as the consent page does (RFC 9635 §1.4, §4): it reported success, and wrote the
/// approval, for a person the owner's policy refuses the grant's rights.
extension GNAPClientEndToEndTests {
    static let malloryMayNotApprovePhotos = """
        @id("no-photos-for-mallory")
        forbid (principal, action == Action::"approve", resource == Scope::"photo-api")
        when { context has user && context.user == User::"mallory" };
        """

    @Test func cliApprovalIsRefusedWhereTheOwnersPolicyRefusesThePerson() async throws {
        try await withServer(policy: Self.malloryMayNotApprovePhotos) { server in
            let gnap = client(server, key: GNAPKeyPair.generate(.ed25519))
            let pending = try await gnap.requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [Self.photos]))))
            #expect(pending.isPending)
            let grantID = URL(string: pending.continuation?.uri ?? "")?.lastPathComponent ?? ""
            let files = ["--config", server.directory.appendingPathComponent("tessera.yaml").path, "--data-dir", server.directory.path]
            let (refused, output) = try await ChildProcess.run(
                TesseraProcess.binary,
                ["gnap", "approve", grantID, "--subject", "mallory"] + files,
                capture: .both
            )
            #expect(refused == 1, "\(output)")
            #expect(output.contains("no-photos-for-mallory"), "the refusal names the policy: \(output)")
            let (_, listing) = try await TesseraProcess.run(["gnap", "grants", "--state", "pending"] + files)
            #expect(listing.contains(grantID), "the grant is still pending")

            let (approved, _) = try await TesseraProcess.run(["gnap", "approve", grantID, "--subject", "alice"] + files)
            #expect(approved == 0)
            let granted = try await gnap.awaitApproval(pending, maximumPolls: 3)
            #expect(try Self.claims(try #require(granted.tokens.first).value)["sub"] as? String == "alice")
        }
    }
}
