import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A GNAP grant against `tessera serve` as a process, approved by a person with the CLI, and a
/// restart between the request and the approval (nothing is lost).
@Suite(.serialized) struct GNAPProcessTests {
    static func send(
        _ base: String,
        _ signer: GNAPTestSigner,
        method: HTTPMethod,
        path: String,
        body: [UInt8]?,
        token: String? = nil
    ) async throws
        -> (Int, [String: Any])
    {
        let url = base + path
        let headers = try signer.headers(method: method.rawValue, url: url, body: body, token: token)
        var request = HTTPClientRequest(url: url)
        request.method = method
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let data = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:]
        return (Int(response.status.code), json)
    }

    @Test func pendingGrantSurvivesARestartAndIsApprovedFromTheCLI() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-gnap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("tessera.yaml").path
        try "gnap:\n  continuation_wait: 0\n".write(toFile: config, atomically: true, encoding: .utf8)
        // The issuer must be the URL clients sign; with a free port it is known only after start, so
        // pin the port: reserve one (nothing else can take it between the two servers), pass it explicitly.
        let reservation = try FreePort.reserve(host: "127.0.0.1")
        defer { reservation.release() }
        let port = String(reservation.port)
        let fixed = ["--config", config, "--data-dir", directory.path, "--issuer", "http://127.0.0.1:\(port)"]

        let signer = GNAPTestSigner(now: { Date() })
        let body = try GNAPTestSigner.body(
            GNAPGrantRequest(
                accessToken: .single(.init(access: [.object(GNAPAccessObject(type: "photo-api", actions: ["read"]))])),
                subject: GNAPSubjectRequest(subIDFormats: ["opaque"], assertionFormats: ["id_token"]),
                client: .value(GNAPClientInstance(key: signer.key, display: GNAPDisplay(name: "e2e")))
            )
        )
        let first = try await TesseraProcess(fixed, port: port)
        let (status, pending) = try await Self.send(first.baseURL, signer, method: .POST, path: "/gnap", body: body)
        #expect(status == 200)
        let cont = try #require(pending["continue"] as? [String: Any])
        let path = String((cont["uri"] as? String ?? "").dropFirst(first.baseURL.count))
        let token = try #require((cont["access_token"] as? [String: Any])?["value"] as? String)
        try await first.stop()

        let (listStatus, listing) = try await TesseraProcess.run(["gnap", "grants", "--state", "pending", "--data-dir", directory.path])
        #expect(listStatus == 0)
        let grantID = try #require(listing.split(separator: "\t").first.map(String.init))
        #expect(listing.contains("photo-api[read]"))
        let digest = try #require(GNAPClientEndToEndTests.listedDigest(listing, of: grantID), "\(listing)")
        let (approveStatus, _) = try await TesseraProcess.run([
            "gnap", "approve", grantID, "--subject", "alice", "--digest", digest, "--data-dir", directory.path,
        ])
        #expect(approveStatus == 0)

        let second = try await TesseraProcess(fixed, port: port)
        let (approvedStatus, approved) = try await Self.send(second.baseURL, signer, method: .POST, path: path, body: nil, token: token)
        #expect(approvedStatus == 200)
        let issued = try #require(approved["access_token"] as? [String: Any])
        #expect(issued["value"] is String)
        #expect(((approved["subject"] as? [String: Any])?["sub_ids"] as? [[String: Any]])?.first?["id"] as? String == "alice")
        // Approved from the CLI, nobody signed in at this server: the ID token claims no sign-in time
        // (OpenID Connect Core §2 `auth_time`), so no relying party's max_age takes it for a fresh one.
        let assertion = ((approved["subject"] as? [String: Any])?["assertions"] as? [[String: Any]])?.first?["value"] as? String
        let idToken = try JWTClaimSet(payload: try CompactJWS(parsing: try #require(assertion, "\(approved)")).payload)
        #expect(idToken.string("sub") == "alice")
        #expect(idToken["auth_time"] == nil, "\(idToken)")
        try await second.stop()
    }
}
