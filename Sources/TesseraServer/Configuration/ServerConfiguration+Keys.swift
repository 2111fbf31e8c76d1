public import Foundation
public import TesseraEngine
public import TesseraProtocol

/// `keys:` — how instances share signing keys, and how the keys are protected at rest.
public struct KeySettings: Sendable {
    /// How often each instance re-reads the keys (so a key rotated elsewhere is published).
    public var refreshInterval: TimeInterval = 10
    /// How long a rotated key is published before it signs; must exceed ``refreshInterval`` (of every instance).
    public var publishDelay: TimeInterval = 60
    /// Seals private keys at rest (AES-256-GCM); from `keys.encryption_key_file`,
    /// `TESSERA_KEY_ENCRYPTION_KEY_FILE` or `TESSERA_KEY_ENCRYPTION_KEY`.
    public var encryptionKey: KeyEncryptionKey?

    public init() {}

    /// Reads a KEK file; the error names the setting, never the contents.
    static func encryptionKey(file path: String, field: String) throws(ConfigurationError) -> KeyEncryptionKey {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(field: field, "cannot read the key-encryption key file \(path)")
        }
        return try encryptionKey(text: text, field: field)
    }

    static func encryptionKey(text: String, field: String) throws(ConfigurationError) -> KeyEncryptionKey {
        do { return try KeyEncryptionKey(text: text) } catch { throw ConfigurationError(field: field, error.message) }
    }
}

/// `metrics:` — who may read `/metrics`. Its per-client counters tell who uses the server, so by
/// default only loopback (a scraper or proxy on the same host) is answered; others get 404.
public struct MetricsExposure: Sendable {
    public static let loopback: [IPNetwork] = ["127.0.0.0/8", "::1/128"].compactMap(IPNetwork.init)
    /// Peers allowed to read `/metrics`; empty turns the endpoint off.
    public var allowedNetworks: [IPNetwork] = MetricsExposure.loopback

    public init() {}

    /// Whether a peer at `address` (text form; IPv4-mapped IPv6 counts as IPv4) may read the metrics.
    /// An unknown address (no IP peer) is refused.
    public func allows(_ address: String?) -> Bool {
        guard let address, var ip = IPAddress(address) else { return false }
        if case .v6(let bytes) = ip, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            ip = .v4(Array(bytes[12..<16]))
        }
        return allowedNetworks.contains { $0.contains(ip) }
    }
}

extension ServerConfiguration {
    func validateKeys() throws(ConfigurationError) {
        guard keys.refreshInterval >= 0.1, keys.refreshInterval <= 86_400 else {
            throw ConfigurationError(field: "keys.refresh_interval", "must be 0.1 to 86400 seconds")
        }
        guard keys.publishDelay > keys.refreshInterval, keys.publishDelay <= 7 * 86_400 else {
            throw ConfigurationError(
                field: "keys.publish_delay",
                "must be more than keys.refresh_interval (every instance must publish a new key before any signs with it) and at most 7 days"
            )
        }
    }
}

extension ServerConfiguration {
    /// The key ring settings these server settings imply (shared by `tessera serve` and `tessera keys`).
    public var keyRingConfiguration: KeyRing.Configuration {
        var ring = KeyRing.Configuration()
        ring.algorithm = signingAlgorithm
        ring.retiredKeyPublication = max(86_400, accessTokenLifetime * 2)
        ring.publishDelay = keys.publishDelay
        ring.encryptionKey = keys.encryptionKey
        return ring
    }
}
