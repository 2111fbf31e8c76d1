import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Grant ids are what a person passes to `tessera gnap approve <id>`: lowercase hex, so none can
/// begin with `-` and be read as an option (which failed a CLI test once in 64 runs, with base64url).
extension GNAPEndpointTests {
    @Test func grantIDsAreHexSoTheCLICanTakeThem() async throws {
        let app = try await app()
        let signer = GNAPTestSigner(now: clock.closure)
        try await app.application.test(.router) { client in
            for _ in 0..<20 {
                let body = try Self.grantBody(
                    client: .value(GNAPClientInstance(key: signer.key)),
                    tokens: .single(.init(access: [Self.backupRead]))
                )
                let answer = try await Self.send(client, app, signer, method: .post, path: "/gnap", body: body)
                let uri = try #require((answer.json["continue"] as? [String: Any])?["uri"] as? String)
                let id = String(uri.split(separator: "/").last ?? "")
                #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id)")
            }
        }
    }
}
