import Foundation
import HTTPMessageSignatures
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import TesseraProtocol
import Testing

@testable import TesseraClient

/// The AsyncHTTPClient transport over a real loopback socket: the stub AS rebuilds the request as it arrived
/// and verifies the client's signature with the key from the grant request body, so what was signed is what
/// went on the wire (method, target URI, Content-Digest, Authorization).
@Suite struct LiveTransportTests {
    @Test func signedRequestsSurviveTheWire() async throws {
        let verified = Mutex<[String]>([])
        let router = Router()
        let clientJWK = Mutex<String?>(nil)
        @Sendable func check(_ request: Request, _ body: ByteBuffer, port: String) async throws -> Bool {
            var signed = HTTPSignatureRequest(request.head, body: body.readableBytes > 0 ? Array(buffer: body) : nil)
            signed.scheme = "http"
            if let jwk = try? JSONDecoder().decode(GNAPGrantRequest.self, from: Data(Array(buffer: body))),
                case .value(let instance)? = jwk.client, let key = instance.key.jwk
            {
                clientJWK.withLock { $0 = String(decoding: (try? JSONEncoder().encode(key)) ?? Data(), as: UTF8.self) }
            }
            guard let jwk = clientJWK.withLock({ $0 }) else { return false }
            let verifier = HTTPMessageVerifier(
                policy: .gnap,
                keys: HTTPSignatureKeySet([try HTTPVerificationKey(jwk: jwk)]),
                now: { Date() }
            )
            let ok = try await verifier.verify(signed).signature != nil
            if ok { verified.withLock { $0.append("\(request.method.rawValue) \(request.uri.path)") } }
            return ok
        }
        let portBox = Mutex(0)
        router.post("/gnap") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 16)
            guard try await check(request, body, port: "") else { return Response(status: .unauthorized) }
            let port = portBox.withLock { $0 }
            let json = #"{"continue": {"uri": "http://127.0.0.1:\#(port)/gnap/continue/g1", "wait": 1, "access_token": {"value": "C1"}}}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        router.post("/gnap/continue/g1") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 16)
            guard request.headers[.authorization] == "GNAP C1", try await check(request, body, port: "") else {
                return Response(status: .unauthorized)
            }
            let port = portBox.withLock { $0 }
            let json =
                #"{"access_token": {"value": "AT", "access": ["photos"], "manage": {"uri": "http://127.0.0.1:\#(port)/gnap/token/m1", "access_token": {"value": "M1"}}}}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        router.delete("/gnap/token/m1") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 16)
            guard request.headers[.authorization] == "GNAP M1", try await check(request, body, port: "") else {
                return Response(status: .unauthorized)
            }
            return Response(status: .noContent)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            portBox.withLock { $0 = port }
            let gnap = GNAPClient(
                grantEndpoint: "http://127.0.0.1:\(port)/gnap",
                key: .generate(.ed25519),
                sleep: { _ in }
            )
            let requested = GNAPTokenRequests.single(GNAPTokenRequest(access: [.reference("photos")]))
            let pending = try await gnap.requestGrant(GNAPGrantRequest(accessToken: requested))
            #expect(pending.isPending)
            let approved = try await gnap.awaitApproval(pending, requested: requested)
            let token = try #require(approved.tokens.first)
            #expect(token.value == "AT")
            try await gnap.revoke(token)
        }
        #expect(verified.withLock { $0 } == ["POST /gnap", "POST /gnap/continue/g1", "DELETE /gnap/token/m1"])
    }
}
