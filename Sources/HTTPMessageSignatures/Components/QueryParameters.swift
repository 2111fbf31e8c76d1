/// `@query-param` support (RFC 9421 §2.2.8): WHATWG `application/x-www-form-urlencoded` parsing, then
/// re-encoding of names and values with the urlencoded percent-encode set, spaces as `%20`.
enum QueryParameters {
    /// Parses `query` (without `?`) into re-encoded `(name, value)` pairs, in order.
    static func reencodedPairs(_ query: Substring) -> [(name: [UInt8], value: [UInt8])] {
        var pairs: [(name: [UInt8], value: [UInt8])] = []
        for sequence in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = sequence.firstIndex(of: UInt8(ascii: "="))
            let rawName = sequence[sequence.startIndex..<(equals ?? sequence.endIndex)]
            let rawValue = equals.map { sequence[sequence.index(after: $0)...] } ?? sequence[sequence.endIndex...]
            pairs.append((encode(decode(rawName)), encode(decode(rawValue))))
        }
        return pairs
    }

    /// WHATWG percent-decode with `+` as space. Invalid escapes are kept literally; the bytes are then read as UTF-8
    /// with replacement, as the URL Standard's urlencoded parser does.
    private static func decode(_ bytes: Substring.UTF8View.SubSequence) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let h1 = bytes.index(index, offsetBy: 1, limitedBy: bytes.endIndex),
                h1 < bytes.endIndex, let h2 = bytes.index(h1, offsetBy: 1, limitedBy: bytes.endIndex), h2 < bytes.endIndex,
                let high = hexValue(bytes[h1]), let low = hexValue(bytes[h2])
            {
                out.append(high << 4 | low)
                index = bytes.index(after: h2)
                continue
            } else {
                out.append(byte)
            }
            index = bytes.index(after: index)
        }
        return Array(String(decoding: out, as: UTF8.self).utf8)
    }

    /// Percent-encodes with the `application/x-www-form-urlencoded` percent-encode set: only ASCII alphanumerics and
    /// `*-._` stay literal. A space becomes `%20`, not `+` (RFC 9421 §2.2.8).
    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            if StructuredFieldParser.isAlpha(byte) || StructuredFieldParser.isDigit(byte) || byte == UInt8(ascii: "*")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            {
                out.append(byte)
            } else {
                out.append(contentsOf: [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
