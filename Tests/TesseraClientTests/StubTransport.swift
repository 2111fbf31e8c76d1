import Foundation
import HTTPMessageSignatures
import Synchronization
import TesseraProtocol

/// An in-test AS: records every request and answers with a handler.
final class StubTransport: TesseraTransport {
    typealias Handler = @Sendable (HTTPSignatureRequest, Int) throws -> TesseraHTTPResponse
    let requests = Mutex<[HTTPSignatureRequest]>([])
    private let handler: Handler

    init(_ handler: @escaping Handler) { self.handler = handler }

    func send(_ request: HTTPSignatureRequest) async throws -> TesseraHTTPResponse {
        let index = requests.withLock { list in
            list.append(request)
            return list.count - 1
        }
        return try handler(request, index)
    }

    var sent: [HTTPSignatureRequest] { requests.withLock { $0 } }
}

/// Records requested sleeps instead of sleeping.
final class RecordingSleeper: Sendable {
    let durations = Mutex<[Duration]>([])
    var recorded: [Duration] { durations.withLock { $0 } }
    var sleep: @Sendable (Duration) async throws -> Void {
        { duration in self.durations.withLock { $0.append(duration) } }
    }
}

enum Stub {
    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    static func json(_ text: String, status: Int = 200) -> TesseraHTTPResponse {
        TesseraHTTPResponse(
            status: status,
            headerFields: [HTTPSignatureField(name: "Content-Type", value: "application/json")],
            body: Array(text.utf8)
        )
    }

    /// Verifies a request's GNAP signature with `key` (the GNAP verifier profile, nonce required).
    static func verify(_ request: HTTPSignatureRequest, with key: GNAPKeyPair, now: Date = epoch) async throws -> VerifiedHTTPSignature? {
        var policy = HTTPSignatureVerificationPolicy.gnap
        policy.requireNonce = true
        let verifier = HTTPMessageVerifier(
            policy: policy,
            keys: HTTPSignatureKeySet([key.signingKey.verificationKey]),
            replayCache: NoReplay(),
            now: { now }
        )
        return try await verifier.verify(request).signature
    }

    struct NoReplay: HTTPSignatureReplayCache {
        func insertIfAbsent(nonce: String, keyID: String?, expiresAt: Date) async throws -> Bool { true }
    }

    static func bodyObject(_ request: HTTPSignatureRequest) throws -> [String: Any] {
        let data = Data(request.body ?? [])
        return (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }
}
