import Crypto
public import Foundation

/// Stateless server nonces for DPoP (RFC 9449 §8, §9): `base64url(period ‖ HMAC-SHA-256(secret, period))`.
///
/// A nonce names the time period it was minted in and is accepted during that period and the
/// next, so every nonce lives between one and two periods. Nothing is stored, so any number of
/// instances sharing the secret accept each other's nonces. Nonces are unpredictable without the secret.
public struct DPoPNonces: Sendable {
    private let key: SymmetricKey
    /// The length of one period, in seconds.
    public let period: TimeInterval

    /// - Parameters:
    ///   - secret: at least 32 bytes; instances that must accept each other's nonces share it.
    ///   - period: how long one nonce period lasts (a nonce is valid for one to two periods).
    public init(secret: Data, period: TimeInterval = 300) {
        self.key = SymmetricKey(data: secret)
        self.period = max(1, period)
    }

    /// A nonce for the current period.
    public func current(now: Date) -> String {
        nonce(for: slot(now))
    }

    /// Whether `nonce` was minted by a holder of the secret in this period or the previous one.
    public func isValid(_ nonce: String, now: Date) -> Bool {
        guard let bytes = Base64URL.decode(nonce), bytes.count == 8 + 16 else { return false }
        let slot = bytes.prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        let current = self.slot(now)
        guard slot == current || slot &+ 1 == current else { return false }
        return ConstantTime.equals(Array(bytes), Array(Base64URL.decode(self.nonce(for: slot)) ?? Data()))
    }

    private func slot(_ now: Date) -> UInt64 {
        UInt64(max(0, now.timeIntervalSince1970 / period).rounded(.down))
    }

    private func nonce(for slot: UInt64) -> String {
        let counter = Data((0..<8).reversed().map { UInt8(truncatingIfNeeded: slot >> (UInt64($0) * 8)) })
        let mac = HMAC<SHA256>.authenticationCode(for: Data("tessera-dpop-nonce".utf8) + counter, using: key)
        return Base64URL.encode(counter + Data(mac).prefix(16))
    }
}
