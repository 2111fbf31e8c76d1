public import Foundation
public import HTTPMessageSignatures
public import Synchronization
public import TesseraProtocol

/// An in-test AS for the SDK tests: records every request and answers with a handler.
public final class StubTransport: TesseraTransport {
    public typealias Handler = @Sendable (HTTPSignatureRequest, Int) throws -> TesseraHTTPResponse
    public let requests = Mutex<[HTTPSignatureRequest]>([])
    private let handler: Handler

    public init(_ handler: @escaping Handler) { self.handler = handler }

    public func send(_ request: HTTPSignatureRequest) async throws -> TesseraHTTPResponse {
        let index = requests.withLock { list in
            list.append(request)
            return list.count - 1
        }
        return try handler(request, index)
    }

    public var sent: [HTTPSignatureRequest] { requests.withLock { $0 } }
}

/// Records requested sleeps instead of sleeping.
public final class RecordingSleeper: Sendable {
    public let durations = Mutex<[Duration]>([])
    public init() {}
    public var recorded: [Duration] { durations.withLock { $0 } }
    public var sleep: @Sendable (Duration) async throws -> Void {
        { duration in self.durations.withLock { $0.append(duration) } }
    }
}

/// Canned answers and checks for the SDK tests.
public enum Stub {
    public static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    public static func json(_ text: String, status: Int = 200) -> TesseraHTTPResponse {
        TesseraHTTPResponse(
            status: status,
            headerFields: [HTTPSignatureField(name: "Content-Type", value: "application/json")],
            body: Array(text.utf8)
        )
    }

    /// Verifies a request's GNAP signature with `key` (the GNAP verifier profile, nonce required).
    public static func verify(
        _ request: HTTPSignatureRequest,
        with key: GNAPKeyPair,
        now: Date = epoch
    ) async throws -> VerifiedHTTPSignature? {
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

    public struct NoReplay: HTTPSignatureReplayCache {
        public init() {}
        public func insertIfAbsent(nonce: String, keyID: String?, expiresAt: Date) async throws -> Bool { true }
    }

    public static func bodyObject(_ request: HTTPSignatureRequest) throws -> [String: Any] {
        let data = Data(request.body ?? [])
        return (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }
}
