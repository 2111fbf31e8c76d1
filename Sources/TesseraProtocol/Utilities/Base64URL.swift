package import Foundation

/// base64url without padding (RFC 4648 §5, as JOSE uses it: RFC 7515 §2).
///
/// Hand-rolled over bytes: it runs several times for every token issued, and going through
/// base64 plus string replacement cost about a tenth of a token response.
package enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var output = [UInt8]()
        output.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
            output.append(alphabet[Int(value >> 6 & 63)])
            output.append(alphabet[Int(value & 63)])
            index += 3
        }
        switch input.count - index {
        case 1:
            let value = UInt32(input[index]) << 16
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
        case 2:
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
            output.append(alphabet[Int(value >> 6 & 63)])
        default:
            break
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes unpadded base64url; `nil` for padding, whitespace, any other character, or a
    /// length that no encoding produces.
    package static func decode(_ string: some StringProtocol) -> Data? {
        var input = Array(string.utf8)
        guard input.count % 4 != 1 else { return nil }
        for position in input.indices {
            let value = reverse[Int(input[position])]
            guard value != 0xFF else { return nil }
            input[position] = value
        }
        // Bytes first, one Data at the end: appending to `Data` byte by byte cost more than the decoding (issue 22).
        var output = [UInt8]()
        output.reserveCapacity(input.count * 3 / 4)
        var index = 0
        while index + 4 <= input.count {
            let value =
                UInt32(input[index]) << 18 | UInt32(input[index + 1]) << 12 | UInt32(input[index + 2]) << 6 | UInt32(input[index + 3])
            output.append(UInt8(value >> 16 & 0xFF))
            output.append(UInt8(value >> 8 & 0xFF))
            output.append(UInt8(value & 0xFF))
            index += 4
        }
        switch input.count - index {
        case 2:
            let value = UInt32(input[index]) << 18 | UInt32(input[index + 1]) << 12
            guard value & 0xFFFF == 0 else { return nil }
            output.append(UInt8(value >> 16 & 0xFF))
        case 3:
            let value = UInt32(input[index]) << 18 | UInt32(input[index + 1]) << 12 | UInt32(input[index + 2]) << 6
            guard value & 0xFF == 0 else { return nil }
            output.append(UInt8(value >> 16 & 0xFF))
            output.append(UInt8(value >> 8 & 0xFF))
        default:
            break
        }
        return Data(output)
    }
}
