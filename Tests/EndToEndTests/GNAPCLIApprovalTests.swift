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
            let (_, listed) = try await TesseraProcess.run(["gnap", "grants", "--state", "pending"] + files)
            let digest = try #require(Self.listedDigest(listed, of: grantID), "\(listed)")
            let (refused, output) = try await ChildProcess.run(
                TesseraProcess.binary,
                ["gnap", "approve", grantID, "--subject", "mallory", "--digest", digest] + files,
                capture: .both
            )
            #expect(refused == 1, "\(output)")
            #expect(output.contains("no-photos-for-mallory"), "the refusal names the policy: \(output)")
            let (_, listing) = try await TesseraProcess.run(["gnap", "grants", "--state", "pending"] + files)
            #expect(Self.listedDigest(listing, of: grantID) == digest, "the grant is still pending: \(listing)")

            let (approved, _) = try await TesseraProcess.run(
                ["gnap", "approve", grantID, "--subject", "alice", "--digest", digest] + files
            )
            #expect(approved == 0)
            let granted = try await gnap.awaitApproval(pending, maximumPolls: 3)
            #expect(try Self.claims(try #require(granted.tokens.first).value)["sub"] as? String == "alice")
        }
    }
}

/// Review round 13, L3: `tessera gnap approve` approves the request the operator listed, as the consent page approves
/// the rights it showed (RFC 9635 §4, §5.3). The client widened its pending grant between `gnap grants` and
/// `gnap approve`, and got the wider rights as the named person.
extension GNAPClientEndToEndTests {
    /// The `digest=` field of `grantID`'s line in a `gnap grants` listing.
    static func listedDigest(_ listing: String, of grantID: String) -> String? {
        let line = listing.split(separator: "\n").first { $0.hasPrefix(grantID + "\t") }
        return line?.split(separator: "\t").first { $0.hasPrefix("digest=") }.map { String($0.dropFirst("digest=".count)) }
    }

    /// `tessera gnap approve GRANT --subject SUBJECT --digest …` with the digest `tessera gnap grants` lists now.
    /// - Returns: the approval's exit status.
    static func approveAsListed(_ grantID: String, subject: String, _ files: [String]) async throws -> Int32 {
        let (_, listing) = try await TesseraProcess.run(["gnap", "grants", "--state", "pending"] + files)
        let digest = try #require(listedDigest(listing, of: grantID), "\(listing)")
        return try await TesseraProcess.run(["gnap", "approve", grantID, "--subject", subject, "--digest", digest] + files).0
    }

    @Test func cliApprovalApprovesOnlyTheRequestAsListed() async throws {
        try await withServer { server in
            let gnap = client(server, key: GNAPKeyPair.generate(.ed25519))
            let pending = try await gnap.requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [Self.photos]))))
            let grantID = URL(string: pending.continuation?.uri ?? "")?.lastPathComponent ?? ""
            let files = ["--config", server.directory.appendingPathComponent("tessera.yaml").path, "--data-dir", server.directory.path]
            let (_, listing) = try await TesseraProcess.run(["gnap", "grants", "--state", "pending"] + files)
            let shown = try #require(Self.listedDigest(listing, of: grantID), "\(listing)")

            // The client widens its pending grant after the operator's listing.
            let wide = GNAPAccessRight.object(
                GNAPAccessObject(type: "photo-api", actions: ["read", "write", "admin"], locations: ["https://rs.example/"])
            )
            let continuation = try #require(pending.continuation)
            let widened = try await gnap.modifyGrant(continuation, GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [wide]))))
            #expect(widened.isPending)

            // Without a digest the command shows what the grant now asks and refuses; with the listed one it refuses too.
            let (bare, shownNow) = try await ChildProcess.run(
                TesseraProcess.binary,
                ["gnap", "approve", grantID, "--subject", "alice"] + files,
                capture: .both
            )
            #expect(bare == 1, "\(shownNow)")
            #expect(shownNow.contains("photo-api[read,write,admin]"), "\(shownNow)")
            let (stale, staleOutput) = try await ChildProcess.run(
                TesseraProcess.binary,
                ["gnap", "approve", grantID, "--subject", "alice", "--digest", shown] + files,
                capture: .both
            )
            #expect(stale == 1, "\(staleOutput)")
            let (_, relisted) = try await TesseraProcess.run(["gnap", "grants", "--state", "pending"] + files)
            let current = try #require(Self.listedDigest(relisted, of: grantID), "the grant is still pending: \(relisted)")
            #expect(current != shown)

            // Approving what the grant now asks, as listed again, works.
            let (approved, output) = try await TesseraProcess.run(
                ["gnap", "approve", grantID, "--subject", "alice", "--digest", current] + files
            )
            #expect(approved == 0, "\(output)")
            let granted = try await gnap.awaitApproval(widened, maximumPolls: 3)
            #expect(try Self.claims(try #require(granted.tokens.first).value)["sub"] as? String == "alice")
        }
    }
}
