/// Strict Structured Field serialization (RFC 9651 §4.1), appending ASCII bytes to a buffer.
///
/// Used for `@signature-params` (RFC 9421 §2.3), the `Signature-Input`/`Signature` fields (§4) and the `sf`/`key`
/// component parameters (§2.1.1, §2.1.2).
enum StructuredFieldSerializer {
    struct SerializationFailure: Error, Hashable {
        var reason: String
    }

    static func serializeDictionary(
        _ entries: [StructuredFieldDictionaryEntry],
        into out: inout [UInt8]
    ) throws(SerializationFailure) {
        for (position, entry) in entries.enumerated() {
            if position > 0 { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
            try serializeKey(entry.key, into: &out)
            if case .item(let item) = entry.member, item.bareItem == .boolean(true) {
                try serializeParameters(item.parameters, into: &out)
            } else {
                out.append(UInt8(ascii: "="))
                try serializeMember(entry.member, into: &out)
            }
        }
    }

    static func serializeList(_ members: [StructuredFieldMember], into out: inout [UInt8]) throws(SerializationFailure) {
        for (position, member) in members.enumerated() {
            if position > 0 { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
            try serializeMember(member, into: &out)
        }
    }

    static func serializeMember(_ member: StructuredFieldMember, into out: inout [UInt8]) throws(SerializationFailure) {
        switch member {
        case .item(let item):
            try serializeItem(item, into: &out)
        case .innerList(let items, let parameters):
            try serializeInnerList(items, parameters: parameters, into: &out)
        }
    }

    static func serializeInnerList(
        _ items: [StructuredFieldItem],
        parameters: [StructuredFieldParameter],
        into out: inout [UInt8]
    ) throws(SerializationFailure) {
        out.append(UInt8(ascii: "("))
        for (position, item) in items.enumerated() {
            if position > 0 { out.append(UInt8(ascii: " ")) }
            try serializeItem(item, into: &out)
        }
        out.append(UInt8(ascii: ")"))
        try serializeParameters(parameters, into: &out)
    }

    static func serializeItem(_ item: StructuredFieldItem, into out: inout [UInt8]) throws(SerializationFailure) {
        try serializeBareItem(item.bareItem, into: &out)
        try serializeParameters(item.parameters, into: &out)
    }

    static func serializeParameters(
        _ parameters: [StructuredFieldParameter],
        into out: inout [UInt8]
    ) throws(SerializationFailure) {
        for parameter in parameters {
            out.append(UInt8(ascii: ";"))
            try serializeKey(parameter.key, into: &out)
            if parameter.value != .boolean(true) {
                out.append(UInt8(ascii: "="))
                try serializeBareItem(parameter.value, into: &out)
            }
        }
    }

    static func serializeKey(_ key: String, into out: inout [UInt8]) throws(SerializationFailure) {
        guard !key.isEmpty else { throw SerializationFailure(reason: "empty key") }
        guard isValidKey(key) else { throw SerializationFailure(reason: "invalid key \"\(key)\"") }
        out.append(contentsOf: key.utf8)
    }

    /// Whether `key` is a Structured Field key (RFC 9651 §3.1.2): `( lcalpha / "*" ) *( lcalpha / DIGIT / "_" /
    /// "-" / "." / "*" )`.
    static func isValidKey(_ key: String) -> Bool {
        guard let first = key.utf8.first, StructuredFieldParser.isLCAlpha(first) || first == UInt8(ascii: "*") else {
            return false
        }
        return ASCIIBytes.all(key) {
            StructuredFieldParser.isLCAlpha($0) || StructuredFieldParser.isDigit($0) || $0 == UInt8(ascii: "_")
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "*")
        }
    }

    static func serializeBareItem(_ bare: StructuredFieldBareItem, into out: inout [UInt8]) throws(SerializationFailure) {
        switch bare {
        case .integer(let value):
            guard value >= -999_999_999_999_999 && value <= 999_999_999_999_999 else {
                throw SerializationFailure(reason: "integer out of range")
            }
            appendDecimalDigits(value, into: &out)
        case .decimal(let thousandths):
            guard thousandths.magnitude <= 999_999_999_999_999 else { throw SerializationFailure(reason: "decimal out of range") }
            if thousandths < 0 { out.append(UInt8(ascii: "-")) }
            let magnitude = thousandths.magnitude
            out.append(contentsOf: String(magnitude / 1000).utf8)
            out.append(UInt8(ascii: "."))
            var fraction = magnitude % 1000
            var digits: [UInt8] = [UInt8(ascii: "0") + UInt8(fraction / 100)]
            fraction %= 100
            if fraction != 0 {
                digits.append(UInt8(ascii: "0") + UInt8(fraction / 10))
                if fraction % 10 != 0 { digits.append(UInt8(ascii: "0") + UInt8(fraction % 10)) }
            }
            out.append(contentsOf: digits)
        case .string(let string):
            try serializeString(string, into: &out)
        case .token(let token):
            var first = true
            for byte in token.utf8 {
                let valid =
                    first
                    ? (StructuredFieldParser.isAlpha(byte) || byte == UInt8(ascii: "*"))
                    : (StructuredFieldParser.isTChar(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "/"))
                guard valid else { throw SerializationFailure(reason: "invalid token") }
                first = false
                out.append(byte)
            }
            guard !first else { throw SerializationFailure(reason: "empty token") }
        case .byteSequence(let bytes):
            out.append(UInt8(ascii: ":"))
            Base64.encode(bytes, into: &out)
            out.append(UInt8(ascii: ":"))
        case .boolean(let value):
            out.append(contentsOf: [UInt8(ascii: "?"), value ? UInt8(ascii: "1") : UInt8(ascii: "0")])
        case .date(let seconds):
            out.append(UInt8(ascii: "@"))
            try serializeBareItem(.integer(seconds), into: &out)
        case .displayString(let text):
            out.append(contentsOf: [UInt8(ascii: "%"), UInt8(ascii: "\"")])
            let hex = Array("0123456789abcdef".utf8)
            for byte in text.utf8 {
                if byte == UInt8(ascii: "%") || byte == UInt8(ascii: "\"") || byte < 0x20 || byte > 0x7E {
                    out.append(contentsOf: [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                } else {
                    out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
    }

    /// Appends `value` in plain decimal without allocating a String.
    static func appendDecimalDigits(_ value: Int64, into out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[start...].reverse()
    }

    static func serializeString(_ string: String, into out: inout [UInt8]) throws(SerializationFailure) {
        out.append(UInt8(ascii: "\""))
        // Fast path: printable ASCII with nothing to escape is copied in one go.
        if ASCIIBytes.all(string, { $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            out.append(contentsOf: string.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            guard byte >= 0x20 && byte <= 0x7E else {
                throw SerializationFailure(reason: "string contains a non-printable or non-ASCII character")
            }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
