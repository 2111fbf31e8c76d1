/// An IPv4 or IPv6 address with a prefix length, the value of Cedar's `ipaddr` type (digest §9.2).
///
/// Host bits are kept: `10.0.0.1/24` and `10.0.0.0/24` are different values.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// Whether this is an IPv4 address.
    public let isIPv4: Bool
    /// The address bits (IPv4 in the low 32 bits).
    public let address: UInt128
    /// The prefix length (32 or 128 for a single address).
    public let prefixLength: UInt8

    /// Parses Cedar's `ip(...)` argument syntax; `nil` when malformed.
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 43 else { return nil }
        var addrPart = bytes[...]
        var prefixPart: ArraySlice<UInt8>?
        if let slash = bytes.firstIndex(of: UInt8(ascii: "/")) {
            addrPart = bytes[..<slash]
            prefixPart = bytes[(slash + 1)...]
        }
        let v6 = addrPart.contains(UInt8(ascii: ":"))
        if v6 {
            guard let a = Self.parseV6(addrPart) else { return nil }
            address = a
        } else {
            guard let a = Self.parseV4(addrPart) else { return nil }
            address = a
        }
        isIPv4 = !v6
        let maxPrefix = v6 ? 128 : 32
        if let p = prefixPart {
            guard !p.isEmpty, p.count <= (v6 ? 3 : 2), p.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            guard p.count == 1 || p.first != UInt8(ascii: "0") else { return nil }
            let n = p.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard n <= maxPrefix else { return nil }
            prefixLength = UInt8(n)
        } else {
            prefixLength = UInt8(maxPrefix)
        }
    }

    private static func parseV4(_ s: ArraySlice<UInt8>) -> UInt128? {
        let parts = s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt128 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            guard part.count == 1 || part.first != UInt8(ascii: "0") else { return nil }
            let n = part.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard n <= 255 else { return nil }
            value = value << 8 | UInt128(n)
        }
        return value
    }

    private static func parseGroups(_ s: ArraySlice<UInt8>) -> [UInt16]? {
        if s.isEmpty { return [] }
        var groups: [UInt16] = []
        for part in s.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false) {
            guard (1...4).contains(part.count) else { return nil }
            var v: UInt16 = 0
            for c in part {
                guard let h = hexValue(c) else { return nil }
                v = v << 4 | UInt16(h)
            }
            groups.append(v)
        }
        return groups
    }

    private static func parseV6(_ s: ArraySlice<UInt8>) -> UInt128? {
        var groups: [UInt16]
        let bytes = Array(s)
        var doubleColon: Int?
        for i in 0..<max(bytes.count - 1, 0) where bytes[i] == 58 && bytes[i + 1] == 58 {
            doubleColon = i
            break
        }
        if let dc = doubleColon {
            guard let head = parseGroups(bytes[..<dc]), let tail = parseGroups(bytes[(dc + 2)...]) else { return nil }
            guard head.count + tail.count <= 7 else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let g = parseGroups(bytes[...]), g.count == 8 else { return nil }
            groups = g
        }
        return groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }

    private var width: Int { isIPv4 ? 32 : 128 }

    private func mask(_ prefix: UInt8) -> UInt128 {
        let hostBits = width - Int(prefix)
        let all: UInt128 = isIPv4 ? 0xFFFF_FFFF : UInt128.max
        if hostBits >= 128 { return 0 }
        return all & ~((UInt128(1) << UInt128(hostBits)) - 1)
    }

    /// Whether the whole range of this address lies in the range of `other` (same family only).
    public func isInRange(_ other: IPAddress) -> Bool {
        guard isIPv4 == other.isIPv4, prefixLength >= other.prefixLength else { return false }
        let m = mask(other.prefixLength)
        return address & m == other.address & m
    }

    /// Whether the range lies in the loopback range (`127.0.0.0/8` or `::1`).
    public var isLoopback: Bool {
        if isIPv4 { return prefixLength >= 8 && address >> 24 == 127 }
        return prefixLength == 128 && address == 1
    }

    /// Whether the range lies in the multicast range (`224.0.0.0/4` or `ff00::/8`).
    public var isMulticast: Bool {
        if isIPv4 { return prefixLength >= 4 && address >> 28 == 0xE }
        return prefixLength >= 8 && address >> 120 == 0xFF
    }

    /// The address and prefix, for example `10.0.0.0/8`; IPv6 groups are written out in full.
    public var description: String {
        let text: String
        if isIPv4 {
            text = (0..<4).map { String((address >> UInt128(24 - 8 * $0)) & 0xFF) }.joined(separator: ".")
        } else {
            text = (0..<8).map { String((address >> UInt128(112 - 16 * $0)) & 0xFFFF, radix: 16) }.joined(separator: ":")
        }
        return Int(prefixLength) == width ? text : "\(text)/\(prefixLength)"
    }
}
