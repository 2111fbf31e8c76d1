import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraStorage
import TesseraTesting
import Testing

/// Signing keys across several `tessera serve` processes on one PostgreSQL database: a key rotated
/// through the CLI while both serve, and the first key of an empty database.
extension PostgresServeTests {
    /// Short key timings, so that a rotation completes within the test: instances reload every second,
    /// a new key is published 3 s before it signs.
    static let fastKeys = "\nkeys:\n  refresh_interval: 1\n  publish_delay: 3\n"

    static func config(appending text: String) throws -> String {
        let config = try Self.configFile()
        try (try String(contentsOfFile: config, encoding: .utf8) + text).write(toFile: config, atomically: true, encoding: .utf8)
        return config
    }

    /// The `kid` in a compact JWS header.
    static func kid(of token: String) -> String? {
        guard let header = token.split(separator: ".").first, let data = Base64URL.decode(String(header)),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["kid"] as? String
    }

    /// What a load run across a rotation saw: each token must be published by the other instance when
    /// it is handed out, introspect active on both, and once revoked on one be inactive on both.
    struct RotationRun: Sendable {
        var issued = 0
        var kids: Set<String> = []
        var unpublished: [String] = []
        var inactive: [String] = []
        var revocationsLost: [String] = []
    }

    /// Runs rounds until `deadline` has passed and the run has covered the rotation (at least
    /// `minimumIssued` tokens, signed by at least two keys), or until `cap` — how many rounds fit in a
    /// second depends on how busy the machine is, what the run must cover does not.
    static func load(
        _ a: String,
        _ b: String,
        until deadline: ContinuousClock.Instant,
        minimumIssued: Int,
        cap: ContinuousClock.Instant
    ) async throws -> RotationRun {
        var run = RotationRun()
        var round = 0
        while ContinuousClock.now < cap, ContinuousClock.now < deadline || run.issued < minimumIssued || run.kids.count < 2 {
            round += 1
            let (issuer, other) = round.isMultiple(of: 2) ? (a, b) : (b, a)
            let (status, body) = try await Self.token(issuer)
            guard status == 200, let access = body["access_token"] as? String, let kid = Self.kid(of: access) else {
                run.inactive.append("token request answered \(status)")
                continue
            }
            run.issued += 1
            run.kids.insert(kid)
            // A resource server holding the other instance's key set must be able to verify it now.
            let (_, jwks) = try await Web.get(other + "/jwks")
            let published = Set((jwks["keys"] as? [[String: Any]] ?? []).compactMap { $0["kid"] as? String })
            if !published.contains(kid) { run.unpublished.append(kid) }
            for instance in [other, issuer] {
                let (_, introspected) = try await Web.post(instance + "/introspect", form: "token=\(access)", basic: Self.basic)
                if introspected["active"] as? Bool != true { run.inactive.append("\(kid) on \(instance)") }
            }
            if round.isMultiple(of: 3) {
                let (revoked, _) = try await Web.post(other + "/revoke", form: "token=\(access)", basic: Self.basic)
                #expect(revoked == 200)
                for instance in [issuer, other] {
                    let (_, introspected) = try await Web.post(instance + "/introspect", form: "token=\(access)", basic: Self.basic)
                    if introspected["active"] as? Bool != false { run.revocationsLost.append("\(kid) on \(instance)") }
                }
            }
        }
        return run
    }

    @Test func aKeyRotatedUnderLoadIsPublishedEverywhereBeforeAnyInstanceSignsWithIt() async throws {
        let database = try Self.freshDatabaseURL()
        let config = try Self.config(appending: Self.fastKeys)
        let a = try await TesseraProcess(["--config", config, "--database", database])
        let b = try await TesseraProcess(["--config", config, "--database", database])
        defer { a.process.terminate(); b.process.terminate() }
        let before = try await Self.kids(a)

        let (base, other) = (a.baseURL, b.baseURL)
        // Load before, across and after the rotation: publish delay (3 s) plus two refreshes and margin.
        let start = ContinuousClock.now
        let load = Task { try await Self.load(base, other, until: start + .seconds(12), minimumIssued: 21, cap: start + .seconds(90)) }
        try await Task.sleep(for: .seconds(1))
        let (rotateStatus, rotateOutput) = try await TesseraProcess.run(["keys", "rotate", "--config", config, "--database", database])
        #expect(rotateStatus == 0, "\(rotateOutput)")
        let newKid = String(rotateOutput.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let run = try await load.value

        #expect(run.issued > 20)
        #expect(run.kids.contains(newKid), "the new key never signed: \(run.kids), before \(before)")
        #expect(
            run.unpublished.isEmpty,
            "tokens signed by a key the other instance did not publish: \(run.unpublished.count) of \(run.issued)"
        )
        #expect(run.inactive.isEmpty, "valid tokens answered inactive: \(run.inactive.prefix(10)) (\(run.inactive.count) of \(run.issued))")
        #expect(run.revocationsLost.isEmpty, "revocations that did not take effect: \(run.revocationsLost.prefix(10))")
        #expect(try await a.stop() == 0)
        #expect(try await b.stop() == 0)
    }

    @Test func anInstanceThatHasNotReloadedMeetsANewKidOfItsOwnIssuerAndReloadsBeforeJudging() async throws {
        let database = try Self.freshDatabaseURL()
        let config = try Self.config(appending: Self.fastKeys)
        // B reloads only once an hour: it learns of the rotation only from a token signed with the new key.
        let slow = try Self.config(appending: "\nkeys:\n  refresh_interval: 3600\n  publish_delay: 3601\n")
        let a = try await TesseraProcess(["--config", config, "--database", database])
        let b = try await TesseraProcess(["--config", slow, "--database", database])
        defer { a.process.terminate(); b.process.terminate() }

        let (rotateStatus, rotateOutput) = try await TesseraProcess.run(["keys", "rotate", "--config", config, "--database", database])
        #expect(rotateStatus == 0, "\(rotateOutput)")
        let newKid = String(rotateOutput.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var access: String?
        for _ in 0..<40 {
            let (_, body) = try await Self.token(a.baseURL)
            if let token = body["access_token"] as? String, Self.kid(of: token) == newKid {
                access = token
                break
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        let token = try #require(access, "A never signed with the new key")
        #expect(!(try await Self.kids(b)).contains(newKid))
        let (_, introspected) = try await Web.post(b.baseURL + "/introspect", form: "token=\(token)", basic: Self.basic)
        #expect(introspected["active"] as? Bool == true)
        let (revoked, _) = try await Web.post(b.baseURL + "/revoke", form: "token=\(token)", basic: Self.basic)
        #expect(revoked == 200)
        let (_, afterRevoke) = try await Web.post(a.baseURL + "/introspect", form: "token=\(token)", basic: Self.basic)
        #expect(afterRevoke["active"] as? Bool == false)
        #expect((try await Self.kids(b)).contains(newKid))
        #expect(try await a.stop() == 0)
        #expect(try await b.stop() == 0)
    }

    @Test func instancesStartingTogetherOnAnEmptyDatabaseCreateOneFirstKey() async throws {
        // Two instances (separate pools), each starting several rings at once, as racing processes would.
        for round in 0..<3 {
            let url = try Self.freshDatabaseURL()
            let count = try await TesseraDatabase.withConnection(url: url) { first in
                try await TesseraDatabase.withConnection(url: url) { second in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<8 {
                            let stores = index.isMultiple(of: 2) ? first.stores : second.stores
                            group.addTask { try await KeyRing(store: stores.keys, now: { Date() }).loadOrCreate() }
                        }
                        try await group.waitForAll()
                    }
                    return try await first.stores.keys.all().count
                }
            }
            #expect(count == 1, "round \(round): \(count) first keys")
        }

        // And as processes: two servers started at once on an empty database publish one key.
        let database = try Self.freshDatabaseURL()
        let config = try Self.configFile()
        async let first = TesseraProcess(["--config", config, "--database", database])
        async let second = TesseraProcess(["--config", config, "--database", database])
        let (a, b) = try await (first, second)
        defer { a.process.terminate(); b.process.terminate() }
        let (kidsA, kidsB) = (try await Self.kids(a), try await Self.kids(b))
        #expect(kidsA.count == 1 && kidsA == kidsB)
        #expect(try await a.stop() == 0)
        #expect(try await b.stop() == 0)
    }

    @Test func keysAreSealedUnderTheKeyEncryptionKeyOnPostgreSQLToo() async throws {
        let database = try Self.freshDatabaseURL()
        let config = try Self.configFile()
        let kek = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-kek-\(UUID().uuidString)").path
        try String(repeating: "5a", count: 32).write(toFile: kek, atomically: true, encoding: .utf8)
        let sealed = ["TESSERA_KEY_ENCRYPTION_KEY_FILE": kek]

        let server = try await TesseraProcess(["--config", config, "--database", database], environment: sealed)
        let (status, _) = try await Self.token(server.baseURL)
        #expect(status == 200)
        #expect(try await server.stop() == 0)
        let (_, listed) = try await TesseraProcess.run(["keys", "list", "--database", database])
        #expect(listed.contains("encrypted (KEK ") && !listed.contains("plaintext"), "\(listed)")

        let (refused, output) = try await ChildProcess.run(
            TesseraProcess.binary,
            ["serve", "--port", "0", "--config", config, "--database", database],
            capture: .both,
            timeout: .seconds(60)
        )
        #expect(refused == 1, "\(output)")
        #expect(output.contains("is encrypted under key-encryption key") && output.contains("none is configured"), "\(output)")
        #expect(!output.contains("tessera-test-password"))
    }
}
