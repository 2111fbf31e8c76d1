import Crypto
import Foundation
public import TesseraProtocol

/// What the client asked for in `interact.finish`, kept until the callback arrives (RFC 9635 §2.5.2).
public struct GNAPInteractionFinishState: Sendable, Hashable {
    /// `redirect` or `push`.
    public let method: String
    /// The client's callback URI.
    public let uri: String
    /// The client's nonce (unguessable, one per request).
    public let nonce: String
    /// `sha-256` (default), `sha-384` or `sha-512`.
    public let hashMethod: String?

    /// A finish with a fresh 256-bit nonce.
    public init(method: String, uri: String, hashMethod: String? = nil) {
        self.init(
            method: method,
            uri: uri,
            nonce: Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }),
            hashMethod: hashMethod
        )
    }

    public init(method: String, uri: String, nonce: String, hashMethod: String?) {
        self.method = method
        self.uri = uri
        self.nonce = nonce
        self.hashMethod = hashMethod
    }

    /// The `interact.finish` member of the request.
    public var requestMember: GNAPInteractFinish { GNAPInteractFinish(method: method, uri: uri, nonce: nonce, hashMethod: hashMethod) }
}

/// The `hash` and `interact_ref` the AS sent to the finish URI (RFC 9635 §4.2.1, §4.2.2).
public struct GNAPInteractionCallback: Sendable, Hashable {
    public let hash: String
    public let interactRef: String

    public init(hash: String, interactRef: String) {
        self.hash = hash
        self.interactRef = interactRef
    }

    /// From the query of a `redirect` finish (`?hash=…&interact_ref=…`).
    public init?(redirectURL: String) {
        guard let items = URLComponents(string: redirectURL)?.queryItems,
            let hash = items.first(where: { $0.name == "hash" })?.value,
            let reference = items.first(where: { $0.name == "interact_ref" })?.value
        else { return nil }
        self.init(hash: hash, interactRef: reference)
    }

    /// From the JSON body of a `push` finish.
    public init?(pushBody: [UInt8]) {
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(pushBody)),
            let hash = object["hash"]?.stringValue, let reference = object["interact_ref"]?.stringValue
        else { return nil }
        self.init(hash: hash, interactRef: reference)
    }
}

extension GNAPClient {
    /// Checks the interaction hash (RFC 9635 §4.2.3) and, only if it matches, continues the grant with
    /// the `interact_ref` (§5.1).
    ///
    /// - Parameters:
    ///   - grant: The pending grant as returned with `interact.finish` (the AS nonce).
    ///   - finish: What the client sent as `interact.finish`.
    ///   - callback: What arrived at the finish URI.
    ///   - requested: The original `access_token` request.
    /// - Returns: The grant as continued: its tokens, or what the AS asks next.
    /// - Throws: ``GNAPClientError`` `interactionHashMismatch` (and nothing is sent to the AS), `invalidResponse`
    ///   when the grant offered no finish, `grantError` (e.g. `user_denied`).
    public func finishInteraction(
        _ grant: GNAPGrant,
        finish: GNAPInteractionFinishState,
        callback: GNAPInteractionCallback,
        requested: GNAPTokenRequests? = nil
    ) async throws -> GNAPGrant {
        guard let serverNonce = grant.interact?["finish"]?.stringValue else {
            throw GNAPClientError.invalidResponse("the grant response has no interact.finish nonce (RFC 9635 §3.3)")
        }
        guard let continuation = grant.continuation else {
            throw GNAPClientError(.noContinuation, "the grant has no continue (RFC 9635 §5)")
        }
        guard
            GNAPInteractionHash.verify(
                callback.hash,
                clientNonce: finish.nonce,
                serverNonce: serverNonce,
                interactRef: callback.interactRef,
                grantEndpoint: configuration.grantEndpoint,
                method: finish.hashMethod
            )
        else {
            throw GNAPClientError(
                .interactionHashMismatch,
                "the interaction hash does not match; the interact_ref is not used (RFC 9635 §4.2.3)"
            )
        }
        return try await continueGrant(continuation, interactRef: callback.interactRef, requested: requested)
    }
}
