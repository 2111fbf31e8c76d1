#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which network addresses Tessera may connect to when it fetches a URL that a client chose
/// (Client ID Metadata Documents, their `jwks_uri`, GNAP push finish): never a special-use address
/// (RFC 6890 and the IANA special-purpose registries) — loopback, private, link-local, CGNAT,
/// documentation, multicast, NAT64/6to4 wrappers of those — unless an operator listed the network
/// in ``allowedNetworks`` (tests and local development).
public struct OutboundAddressPolicy: Sendable, Hashable {
    /// Networks that may be reached even though they are special-use, e.g. `127.0.0.1/32` in tests.
    /// Plain `http` is accepted only for addresses in these networks.
    public var allowedNetworks: [IPNetwork]

    public init(allowedNetworks: [IPNetwork] = []) {
        self.allowedNetworks = allowedNetworks
    }

    /// Whether a connection to `address` is allowed.
    public func permits(_ address: IPAddress) -> Bool {
        isExplicitlyAllowed(address) || !Self.isSpecialUse(address)
    }

    /// Whether an operator listed the address's network (which also lifts the https requirement).
    public func isExplicitlyAllowed(_ address: IPAddress) -> Bool {
        allowedNetworks.contains { $0.contains(address) }
    }

    /// RFC 6890 §2.2.2 / §2.2.3 and the IANA IPv4/IPv6 special-purpose registries, plus multicast
    /// and the reserved 240/4. An IPv6 address that embeds an IPv4 one (mapped, compatible, NAT64,
    /// 6to4) is judged by the embedded address as well.
    public static func isSpecialUse(_ address: IPAddress) -> Bool {
        switch address {
        case .v4:
            return specialIPv4.contains { $0.contains(address) }
        case .v6(let bytes):
            if specialIPv6.contains(where: { $0.contains(address) }) { return true }
            if let embedded = embeddedIPv4(bytes) { return isSpecialUse(embedded) }
            return false
        }
    }

    /// The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96, RFC 2765 §2.1; review
    /// round 13, L2), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address.
    static func embeddedIPv4(_ bytes: [UInt8]) -> IPAddress? {
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return .v4(Array(bytes[12..<16])) }
        if bytes[0..<8].allSatisfy({ $0 == 0 }) && bytes[8] == 0xFF && bytes[9] == 0xFF && bytes[10] == 0 && bytes[11] == 0 {
            return .v4(Array(bytes[12..<16]))
        }
        if bytes[0..<4] == [0x00, 0x64, 0xFF, 0x9B] && bytes[4..<12].allSatisfy({ $0 == 0 }) { return .v4(Array(bytes[12..<16])) }
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return .v4(Array(bytes[2..<6])) }
        return nil
    }

    /// The special-use blocks checked.
    public static let specialIPv4: [IPNetwork] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    ].compactMap(IPNetwork.init)

    /// The special-use blocks checked. `64:ff9b:1::/48` is the local-use NAT64 prefix (RFC 8215), not globally
    /// reachable: a translator there reaches the site's own IPv4 hosts, wherever the prefix puts the address (review
    /// round 13, L2).
    public static let specialIPv6: [IPNetwork] = [
        "::/127", "::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16", "fc00::/7",
        "fe80::/10", "fec0::/10", "ff00::/8",
    ].compactMap(IPNetwork.init)
}

/// An IPv4 or IPv6 address as its network-order bytes.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4([UInt8])
    case v6([UInt8])

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (no zone index).
    public init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(withUnsafeBytes(of: &v4) { Array($0) })
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
        } else {
            return nil
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .v4(let bytes), .v6(let bytes): return bytes
        }
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var input = bytes
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        guard inet_ntop(family, &input, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A CIDR block, e.g. `10.0.0.0/8` or `fc00::/7`.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Parses `address/prefix`; a bare address means a single host.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let maximum = address.bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...maximum).contains(length), parts[1].allSatisfy(\.isNumber) else { return nil }
            self.prefixLength = length
        } else {
            self.prefixLength = maximum
        }
        self.address = address
    }

    public func contains(_ candidate: IPAddress) -> Bool {
        let network = address.bytes
        let other = candidate.bytes
        guard network.count == other.count else { return false }
        var remaining = prefixLength
        for index in 0..<network.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if network[index] & mask != other[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
