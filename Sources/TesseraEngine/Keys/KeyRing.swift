public import Foundation
public import TesseraProtocol
public import TesseraStorage

/// The server's signing keys: the current signer and every key still published.
///
/// Keys live in the ``KeyStore`` so every instance (and the CLI) sees the same set. A new key
/// signs as soon as an instance reloads (``reload()``, run periodically by ``KeyRefreshService``);
/// retired keys stay published for ``Configuration/retiredKeyPublication`` so tokens they signed
/// keep verifying.
public actor KeyRing {
    public struct Configuration: Sendable {
        /// Algorithm for the key generated on first start.
        public var algorithm: JWSAlgorithm = .es256
        /// How long a retired key stays in the JWKS: at least the longest token lifetime.
        public var retiredKeyPublication: TimeInterval = 86_400
        public init() {}
    }

    private let store: any KeyStore
    private let configuration: Configuration
    private let now: @Sendable () -> Date
    private var current: JWSSigner?
    private var published: PublicJWKSet = PublicJWKSet(keys: [])
    private var verifier: JWSVerifier?
    private var loadedKids: [String] = []

    public init(store: any KeyStore, configuration: Configuration = .init(), now: @escaping @Sendable () -> Date) {
        self.store = store
        self.configuration = configuration
        self.now = now
    }

    /// Loads the keys, generating the first one when the store has none.
    public func loadOrCreate() async throws {
        if try await store.all().isEmpty {
            try await store.insert(try SigningKeyGenerator.generate(configuration.algorithm, now: now()))
        }
        try await reload()
    }

    /// Re-reads the keys from the store.
    public func reload() async throws {
        let records = try await store.all()
        let kids = records.map { "\($0.kid)|\($0.retiredAt?.timeIntervalSince1970 ?? 0)" }
        guard kids != loadedKids else { return }
        guard let newest = records.first(where: { $0.retiredAt == nil }) ?? records.first else {
            throw JOSEError(.unknownKey, "the key store has no signing key")
        }
        current = try await JWSSigner(privateJWK: newest.privateJWK, kid: newest.kid, algorithm: JWSAlgorithm(rawValue: newest.algorithm))
        let cutoff = now().addingTimeInterval(-configuration.retiredKeyPublication)
        let decoder = JSONDecoder()
        published = PublicJWKSet(
            keys: records.filter { ($0.retiredAt ?? .distantFuture) > cutoff }.compactMap {
                try? decoder.decode(PublicJWK.self, from: Data($0.publicJWK.utf8))
            }
        )
        verifier = try await JWSVerifier(keys: published, allowedAlgorithms: Set(SigningKeyGenerator.supportedAlgorithms))
        loadedKids = kids
    }

    /// The key that signs new tokens.
    public func signer() throws(JOSEError) -> JWSSigner {
        guard let current else { throw JOSEError(.unknownKey, "keys are not loaded") }
        return current
    }

    /// The public keys to publish (RFC 7517 §5).
    public func jwks() -> PublicJWKSet { published }

    /// A verifier for tokens this server signed.
    public func tokenVerifier() throws(JOSEError) -> JWSVerifier {
        guard let verifier else { throw JOSEError(.unknownKey, "keys are not loaded") }
        return verifier
    }

    /// Adds a new current key and retires the others (they stay published). Returns the new key's id.
    public func rotate(algorithm: JWSAlgorithm? = nil) async throws -> String {
        let record = try SigningKeyGenerator.generate(algorithm ?? configuration.algorithm, now: now())
        try await store.insert(record)
        try await store.retireAll(except: record.kid, at: now())
        try await reload()
        return record.kid
    }
}
