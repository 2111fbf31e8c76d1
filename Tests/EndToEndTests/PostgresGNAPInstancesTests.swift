import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import TesseraProtocol
import TesseraTesting
import Testing

/// A GNAP grant across two `tessera serve` processes on one PostgreSQL database, as behind a load
/// balancer: the client signs for the public URL (the issuer) and each request may land on either
/// instance.
extension PostgresServeTests {
    /// Sends a request signed for `issuer + path` to `instance + path`.
    static func gnap(
        _ instance: String,
        _ headers: HTTPFields,
        method: HTTPMethod,
        path: String,
        body: [UInt8]?
    ) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: instance + path)
        request.method = method
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let data = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:])
    }

    @Test func aGrantBegunOnOneInstanceContinuesOnTheOtherAndProofsAreSingleUseAcrossBoth() async throws {
        let database = try Self.freshDatabaseURL()
        let config = try Self.configFile()
        try (try String(contentsOfFile: config, encoding: .utf8) + "\ngnap:\n  continuation_wait: 0\n").write(
            toFile: config,
            atomically: true,
            encoding: .utf8
        )
        let a = try await TesseraProcess(["--config", config, "--database", database])
        let b = try await TesseraProcess(["--config", config, "--database", database])
        defer { a.process.terminate(); b.process.terminate() }

        let signer = GNAPTestSigner(now: { Date() })
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(
                accessToken: .single(.init(access: [.object(GNAPAccessObject(type: "photo-api", actions: ["read"]))])),
                client: .value(GNAPClientInstance(key: signer.key, display: GNAPDisplay(name: "two-instances")))
            )
        )
        let grantHeaders = try signer.headers(method: "POST", url: Self.issuer + "/gnap", body: body)
        let (status, pending) = try await Self.gnap(a.baseURL, grantHeaders, method: .POST, path: "/gnap", body: body)
        #expect(status == 200, "\(pending)")
        let cont = try #require(pending["continue"] as? [String: Any])
        let continuePath = String((cont["uri"] as? String ?? "").dropFirst(Self.issuer.count))
        let continuation = try #require((cont["access_token"] as? [String: Any])?["value"] as? String)

        // The same signed request (same nonce) replayed to the other instance is refused there.
        let (replayed, replayError) = try await Self.gnap(b.baseURL, grantHeaders, method: .POST, path: "/gnap", body: body)
        #expect(replayed == 400 || replayed == 401, "\(replayError)")

        // Approved by the resource owner through the CLI, on the shared database.
        let (listStatus, listing) = try await TesseraProcess.run(["gnap", "grants", "--state", "pending", "--database", database])
        #expect(listStatus == 0)
        let grantID = try #require(listing.split(separator: "\t").first.map(String.init))
        let digest = try #require(GNAPClientEndToEndTests.listedDigest(listing, of: grantID), "\(listing)")
        let (approveStatus, _) = try await TesseraProcess.run([
            "gnap", "approve", grantID, "--subject", "alice", "--digest", digest, "--database", database,
        ])
        #expect(approveStatus == 0)

        // Continued on B: the token comes from the grant A began.
        let continueHeaders = try signer.headers(method: "POST", url: Self.issuer + continuePath, body: nil, token: continuation)
        let (approvedStatus, approved) = try await Self.gnap(b.baseURL, continueHeaders, method: .POST, path: continuePath, body: nil)
        #expect(approvedStatus == 200, "\(approved)")
        let issued = try #require(approved["access_token"] as? [String: Any])
        let manage = try #require(issued["manage"] as? [String: Any])
        let managePath = String((manage["uri"] as? String ?? "").dropFirst(Self.issuer.count))
        let manageToken = try #require((manage["access_token"] as? [String: Any])?["value"] as? String)

        // The continuation token is spent: using it again on A fails.
        let again = try signer.headers(method: "POST", url: Self.issuer + continuePath, body: nil, token: continuation)
        let (spent, _) = try await Self.gnap(a.baseURL, again, method: .POST, path: continuePath, body: nil)
        #expect(spent >= 400)

        // The token issued through B is rotated on A, and the old value is then inactive everywhere.
        let rotateHeaders = try signer.headers(method: "POST", url: Self.issuer + managePath, body: nil, token: manageToken)
        let (rotatedStatus, rotated) = try await Self.gnap(a.baseURL, rotateHeaders, method: .POST, path: managePath, body: nil)
        #expect(rotatedStatus == 200, "\(rotated)")
        let newValue = try #require((rotated["access_token"] as? [String: Any])?["value"] as? String)
        #expect(newValue != issued["value"] as? String)
        #expect(try await a.stop() == 0)
        #expect(try await b.stop() == 0)
    }
}
