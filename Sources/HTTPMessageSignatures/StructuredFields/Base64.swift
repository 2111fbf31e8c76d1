/// Standard base64 (RFC 4648 §4) as Structured Field Byte Sequences use it (RFC 9651 §3.3.5), plus the base64url
/// form JWKs use (RFC 4648 §5). Kept local so the hot path does not round-trip through `Data` and `String`.
enum Base64 {
    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in standardAlphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    static func isAlphabetOrPadding(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "=") || decodeTable[Int(byte)] != 0xFF
    }

    static func encode(_ bytes: some Collection<UInt8>, into out: inout [UInt8]) {
        encode(sequence: bytes, into: &out)
    }

    /// The array case, used for signatures, digests and nonces: whole 3-byte groups by index.
    static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let b0 = bytes[index]
            let b1 = bytes[index + 1]
            let b2 = bytes[index + 2]
            out.append(standardAlphabet[Int(b0 >> 2)])
            out.append(standardAlphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(standardAlphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)])
            out.append(standardAlphabet[Int(b2 & 0x3F)])
            index += 3
        }
        if index < bytes.count { encode(sequence: bytes[index...], into: &out) }
    }

    private static let urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The length of the standard (padded) encoding of `count` bytes.
    static func paddedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// The length of the base64url (unpadded) encoding of `count` bytes.
    static func unpaddedLength(_ count: Int) -> Int { count / 3 * 4 + [0, 2, 3][count % 3] }

    /// Writes the encoding of `bytes` into `buffer` from `offset` and returns the offset after it: standard base64
    /// with padding, or base64url without padding (RFC 4648 §5) when `url` is set. For building a field value in
    /// one allocation (`String(unsafeUninitializedCapacity:)`); `buffer` must have room for ``paddedLength(_:)``
    /// or ``unpaddedLength(_:)`` bytes from `offset`.
    static func write(
        _ bytes: UnsafeRawBufferPointer,
        url: Bool = false,
        to buffer: UnsafeMutableBufferPointer<UInt8>,
        at offset: Int
    ) -> Int {
        let alphabet = url ? urlAlphabet : standardAlphabet
        var position = offset
        var index = 0
        let count = bytes.count
        while index + 3 <= count {
            let b0 = unsafe bytes[index]
            let b1 = unsafe bytes[index + 1]
            let b2 = unsafe bytes[index + 2]
            unsafe buffer[position] = alphabet[Int(b0 >> 2)]
            unsafe buffer[position + 1] = alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)]
            unsafe buffer[position + 2] = alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]
            unsafe buffer[position + 3] = alphabet[Int(b2 & 0x3F)]
            position += 4
            index += 3
        }
        let remaining = count - index
        if remaining > 0 {
            let b0 = unsafe bytes[index]
            let b1: UInt8 = remaining == 2 ? unsafe bytes[index + 1] : 0
            unsafe buffer[position] = alphabet[Int(b0 >> 2)]
            unsafe buffer[position + 1] = alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)]
            position += 2
            if remaining == 2 {
                unsafe buffer[position] = alphabet[Int((b1 & 0x0F) << 2)]
                position += 1
            }
            if !url {
                for _ in 0..<(3 - remaining) {
                    unsafe buffer[position] = UInt8(ascii: "=")
                    position += 1
                }
            }
        }
        return position
    }

    static func encode(sequence bytes: some Sequence<UInt8>, into out: inout [UInt8]) {
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next()
            let b2 = iterator.next()
            out.append(standardAlphabet[Int(b0 >> 2)])
            out.append(standardAlphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            if let b1 {
                out.append(standardAlphabet[Int((b1 & 0x0F) << 2 | (b2 ?? 0) >> 6)])
            } else {
                out.append(UInt8(ascii: "="))
            }
            if let b2 {
                out.append(standardAlphabet[Int(b2 & 0x3F)])
            } else {
                out.append(UInt8(ascii: "="))
            }
        }
    }

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard base64. Padding may be missing (RFC 9651 §4.2.7 says parsers SHOULD accept that), but any
    /// character outside the alphabet, misplaced padding or non-zero trailing bits is rejected.
    static func decode(_ input: some Collection<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3 + 3)
        var accumulator: UInt32 = 0
        var pending = 0
        var padding = 0
        for byte in input {
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0 else { return nil }
            let value = decodeTable[Int(byte)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            pending += 1
            if pending == 4 {
                output.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                output.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                output.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
                pending = 0
            }
        }
        switch pending {
        case 0:
            guard padding == 0 else { return nil }
        case 2:
            guard padding == 0 || padding == 2, accumulator & 0x0F == 0 else { return nil }
            output.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        case 3:
            guard padding == 0 || padding == 1, accumulator & 0x03 == 0 else { return nil }
            output.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            output.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        default:
            return nil
        }
        return output
    }

    static func decode(_ string: String) -> [UInt8]? { decode(Array(string.utf8)) }

    /// Decodes base64url without padding (RFC 7515 §2), as used by JWK members.
    static func decodeURL(_ string: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "-"): bytes.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): bytes.append(UInt8(ascii: "/"))
            case UInt8(ascii: "+"), UInt8(ascii: "/"): return nil
            default: bytes.append(byte)
            }
        }
        return decode(bytes)
    }
}
