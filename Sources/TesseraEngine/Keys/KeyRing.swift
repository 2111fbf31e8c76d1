public import Foundation
import Synchronization
public import TesseraProtocol
public import TesseraStorage

/// The server's signing keys: the current signer and every key still published.
///
/// Keys live in the ``KeyStore`` so every instance (and the CLI) sees the same set. Rotation
/// publishes before it signs: a new key is stored with a signing time ``Configuration/publishDelay``
/// ahead (``SigningKeyRecord/signsFrom``), every instance publishes it at its next ``reload()`` (run
/// every refresh interval by ``KeyRefreshService``), and each instance switches to it by its own
/// clock at that time — so no token carries a `kid` that another instance's JWKS lacks (RFC 7517 §5,
/// RFC 9068 §4: resource servers verify against the published set). Retired keys stay published
/// for ``Configuration/retiredKeyPublication`` so tokens they signed keep verifying. An instance
/// that still meets a token of its own issuer with an unknown `kid` reloads (at most every
/// ``Configuration/unknownKeyReloadInterval``) before it judges the token.
public actor KeyRing {
    public struct Configuration: Sendable {
        /// Algorithm for the key generated on first start.
        public var algorithm: JWSAlgorithm = .es256
        /// How long a retired key stays in the JWKS: at least the longest token lifetime.
        public var retiredKeyPublication: TimeInterval = 86_400
        /// How long a rotated key is published before it signs: longer than the refresh interval of
        /// every instance (with room for a failed reload and clock skew).
        public var publishDelay: TimeInterval = 60
        /// The least time between two reloads caused by an unknown `kid` (so forged `kid`s cannot make
        /// every request a database read).
        public var unknownKeyReloadInterval: TimeInterval = 1
        /// Seals new private keys, and opens sealed ones; `nil` stores them as plaintext JWKs.
        public var encryptionKey: KeyEncryptionKey?
        public init() {}
    }

    /// A key that may sign now or later, with its signer built.
    private struct SigningCandidate: Sendable {
        let signsFrom: Date
        let retiredAt: Date?
        let signer: JWSSigner
    }

    private let store: any KeyStore
    private let configuration: Configuration
    private let now: @Sendable () -> Date
    /// The keys that may sign, replaced whole by ``reload()``: read without entering the actor (issue 22), since every
    /// token, grant and ID token is signed through ``currentSigner()``.
    private nonisolated let candidates = LockedValue<[SigningCandidate]>([])
    private var signers: [String: JWSSigner] = [:]
    private var published: PublicJWKSet = PublicJWKSet(keys: [])
    private var verifier: JWSVerifier?
    private var loaded: [String] = []
    private var plaintextKids: [String] = []
    private var lastUnknownKeyReload: Date?
    private var unknownKeyReload: Task<Void, Never>?
    private nonisolated let generation = Atomic<UInt64>(0)

    public init(store: any KeyStore, configuration: Configuration = .init(), now: @escaping @Sendable () -> Date) {
        self.store = store
        self.configuration = configuration
        self.now = now
    }

    /// Loads the keys, generating the first one when the store has none. Instances starting together
    /// on an empty store create one key between them (``KeyStore/insertFirst(_:)``).
    public func loadOrCreate() async throws {
        if try await store.all().isEmpty {
            _ = try await store.insertFirst(try sealed(SigningKeyGenerator.generate(configuration.algorithm, now: now())))
        }
        try await reload()
    }

    /// Re-reads the keys from the store.
    /// - Throws: ``KeyEncryptionError`` when a key that may sign is sealed under a KEK this ring lacks,
    ///   `JOSEError` when the store holds no key or an unusable one.
    public func reload() async throws {
        let records = try await store.all()
        let current = now()
        let cutoff = current.addingTimeInterval(-configuration.retiredKeyPublication)
        let publishedRecords = records.filter { ($0.retiredAt ?? .distantFuture) > cutoff }
        let fingerprint = publishedRecords.map {
            "\($0.kid)|\($0.signsFrom.timeIntervalSince1970)|\($0.retiredAt?.timeIntervalSince1970 ?? 0)"
        }
        guard fingerprint != loaded else { return }
        guard !publishedRecords.isEmpty else { throw JOSEError(.unknownKey, "the key store has no signing key") }

        // Signers for the keys that sign now or will: not retired, or retired later than now.
        var candidates: [SigningCandidate] = []
        var signers: [String: JWSSigner] = [:]
        for record in publishedRecords where (record.retiredAt ?? .distantFuture) > current || record.kid == publishedRecords.first?.kid {
            let signer: JWSSigner
            if let known = self.signers[record.kid] {
                signer = known
            } else {
                let privateJWK = try PrivateKeyEnvelope.open(record.privateJWK, kid: record.kid, with: configuration.encryptionKey)
                signer = try await JWSSigner(privateJWK: privateJWK, kid: record.kid, algorithm: JWSAlgorithm(rawValue: record.algorithm))
            }
            signers[record.kid] = signer
            candidates.append(SigningCandidate(signsFrom: record.signsFrom, retiredAt: record.retiredAt, signer: signer))
        }
        let decoder = JSONDecoder()
        let set = PublicJWKSet(keys: publishedRecords.compactMap { try? decoder.decode(PublicJWK.self, from: Data($0.publicJWK.utf8)) })
        verifier = try await JWSVerifier(keys: set, allowedAlgorithms: Set(SigningKeyGenerator.supportedAlgorithms))
        published = set
        self.candidates.set(candidates)
        self.signers = signers
        plaintextKids = records.filter { PrivateKeyEnvelope.keyID(of: $0.privateJWK) == nil }.map(\.kid)
        loaded = fingerprint
        generation.add(1, ordering: .releasing)
    }

    /// The key that signs new tokens now: of the keys whose signing time has come, the latest that is
    /// not retired (a key rotated in is published, but does not sign, until its ``SigningKeyRecord/signsFrom``).
    public func signer() throws(JOSEError) -> JWSSigner {
        try currentSigner()
    }

    /// ``signer()`` without entering the actor: the hot paths (every token minted) call this one.
    /// - Returns: The key that signs new tokens now.
    /// - Throws: ``JOSEError`` `unknownKey` before the keys are loaded.
    public nonisolated func currentSigner() throws(JOSEError) -> JWSSigner {
        let current = now()
        let candidates = self.candidates.get()
        let started = candidates.filter { $0.signsFrom <= current }
        let chosen =
            started.filter { ($0.retiredAt ?? .distantFuture) > current }.max { $0.signsFrom < $1.signsFrom }
            ?? started.max { $0.signsFrom < $1.signsFrom }
            // Every key is still to come (this clock is behind the one that rotated): the earliest.
            ?? candidates.min { $0.signsFrom < $1.signsFrom }
        guard let chosen else { throw JOSEError(.unknownKey, "keys are not loaded") }
        return chosen.signer
    }

    /// The public keys to publish (RFC 7517 §5): keys waiting to sign, the signing key, recently retired keys.
    public func jwks() -> PublicJWKSet { published }

    /// The `kid`s of keys stored as plaintext JWKs (to warn about when a KEK is configured).
    public func unencryptedKeyIDs() -> [String] { plaintextKids }

    /// A verifier for tokens this server signed.
    public func tokenVerifier() throws(JOSEError) -> JWSVerifier {
        guard let verifier else { throw JOSEError(.unknownKey, "keys are not loaded") }
        return verifier
    }

    /// Verifies a token this server may have signed and returns its payload. When the `kid` is unknown
    /// and the (still unverified) `iss` is `issuer`, the keys are reloaded first — another instance may
    /// sign with a key this one has not loaded yet — at most once per ``Configuration/unknownKeyReloadInterval``,
    /// with concurrent callers sharing one reload.
    ///
    /// The signature is checked off the actor (issue 22), so concurrent verifications run on every core instead of
    /// one after another on the key ring.
    public nonisolated func verifyOwnToken(_ jws: CompactJWS, expectedType: String?, issuer: String) async throws(JOSEError) -> Data {
        let current = try await tokenVerifier()
        do throws(JOSEError) {
            return try current.verify(jws, expectedType: expectedType)
        } catch let error where error.code == .unknownKey {
            guard let kid = jws.header.kid, !current.knows(kid: kid), Self.claimedIssuer(jws) == issuer else { throw error }
            await reloadForUnknownKey()
            return try await tokenVerifier().verify(jws, expectedType: expectedType)
        }
    }

    /// Changes whenever the keys this ring verifies with change (a reload that found another set), so what was
    /// verified with the old set (VerifiedTokenCache) is checked again.
    public nonisolated var keysGeneration: UInt64 { generation.load(ordering: .acquiring) }

    private func reloadForUnknownKey() async {
        if let running = unknownKeyReload {
            await running.value
            return
        }
        let current = now()
        if let last = lastUnknownKeyReload, current.timeIntervalSince(last) < configuration.unknownKeyReloadInterval { return }
        lastUnknownKeyReload = current
        let task = Task { _ = try? await self.reload() }
        unknownKeyReload = task
        await task.value
        unknownKeyReload = nil
    }

    private struct IssuerClaim: Decodable { var iss: String? }

    private static func claimedIssuer(_ jws: CompactJWS) -> String? {
        (try? JSONDecoder().decode(IssuerClaim.self, from: jws.payload))?.iss
    }

    /// Adds a new key and retires the others from the moment it signs. The new key is published at once
    /// and signs after `publishDelay` (default ``Configuration/publishDelay``); 0 makes it sign at once.
    /// - Returns: the new key's id and when it starts signing.
    public func rotate(algorithm: JWSAlgorithm? = nil, publishDelay: TimeInterval? = nil) async throws -> (kid: String, signsFrom: Date) {
        let signsFrom = now().addingTimeInterval(publishDelay ?? configuration.publishDelay)
        let record = try sealed(SigningKeyGenerator.generate(algorithm ?? configuration.algorithm, now: signsFrom))
        try await store.insert(record)
        try await store.retireAll(except: record.kid, at: signsFrom)
        try await reload()
        return (record.kid, signsFrom)
    }

    /// Seals every stored private key under ``Configuration/encryptionKey``: plaintext keys, and keys
    /// sealed under `previous` (a KEK being replaced). Keys already sealed under the configured KEK are left alone.
    /// - Returns: how many keys were rewritten.
    /// - Throws: ``KeyEncryptionError`` `missingKey` when no KEK is configured, or when a key opens under neither.
    public func encryptStoredKeys(previous: KeyEncryptionKey? = nil) async throws -> Int {
        guard let kek = configuration.encryptionKey else {
            throw KeyEncryptionError(
                .missingKey,
                "no key-encryption key is configured: set TESSERA_KEY_ENCRYPTION_KEY, TESSERA_KEY_ENCRYPTION_KEY_FILE or keys.encryption_key_file"
            )
        }
        var rewritten = 0
        for record in try await store.all() where PrivateKeyEnvelope.keyID(of: record.privateJWK) != kek.id {
            let plain = try PrivateKeyEnvelope.open(record.privateJWK, kid: record.kid, with: previous)
            if try await store.replacePrivateJWK(kid: record.kid, with: try PrivateKeyEnvelope.seal(plain, kid: record.kid, with: kek)) {
                rewritten += 1
            }
        }
        if rewritten > 0 { try await store.eraseReplacedKeyMaterial() }
        signers = [:]
        loaded = []
        return rewritten
    }

    private func sealed(_ record: SigningKeyRecord) throws -> SigningKeyRecord {
        guard let kek = configuration.encryptionKey else { return record }
        var record = record
        record.privateJWK = try PrivateKeyEnvelope.seal(record.privateJWK, kid: record.kid, with: kek)
        return record
    }
}
