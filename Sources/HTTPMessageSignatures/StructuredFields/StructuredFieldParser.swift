/// A strict Structured Field parser (RFC 9651 §4.2), over the bytes of one (combined) field value.
///
/// Any deviation from the grammar is an error: RFC 9421 §7.5.3 warns that lenient parsing of `Signature-Input`
/// enables injection. Duplicate dictionary keys are reported (``ParseFailure/duplicateKey``) because RFC 9421 §4
/// requires signature labels to be unique; ``parseDictionary(allowDuplicateKeys:)`` lets other fields follow
/// RFC 9651's "last one wins".
struct StructuredFieldParser {
    struct ParseFailure: Error, Hashable {
        var reason: String
        var offset: Int
        static func duplicateKey(_ key: String, at offset: Int) -> Self {
            Self(reason: "duplicate key \"\(key)\"", offset: offset)
        }
    }

    private let bytes: [UInt8]
    private var index: Int

    /// Maximum number of members or items accepted, a bound on hostile input.
    static let maximumMembers = 1024

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.index = 0
    }

    init(_ string: String) {
        self.init(Array(string.utf8))
    }

    // MARK: - Top level (RFC 9651 §4.2)

    mutating func parseDictionary(allowDuplicateKeys: Bool = false) throws(ParseFailure) -> [StructuredFieldDictionaryEntry] {
        skipSP()
        var entries: [StructuredFieldDictionaryEntry] = []
        while index < bytes.count {
            let keyOffset = index
            let key = try parseKey()
            let member: StructuredFieldMember
            if peek() == UInt8(ascii: "=") {
                index += 1
                member = try parseItemOrInnerList()
            } else {
                member = .item(StructuredFieldItem(.boolean(true), parameters: try parseParameters()))
            }
            if let existing = entries.firstIndex(where: { $0.key == key }) {
                guard allowDuplicateKeys else { throw .duplicateKey(key, at: keyOffset) }
                entries.remove(at: existing)
            }
            entries.append(StructuredFieldDictionaryEntry(key: key, member: member))
            guard entries.count <= Self.maximumMembers else { throw fail("too many dictionary members") }
            try endOfMember()
        }
        return entries
    }

    mutating func parseList() throws(ParseFailure) -> [StructuredFieldMember] {
        skipSP()
        var members: [StructuredFieldMember] = []
        while index < bytes.count {
            members.append(try parseItemOrInnerList())
            guard members.count <= Self.maximumMembers else { throw fail("too many list members") }
            try endOfMember()
        }
        return members
    }

    mutating func parseItem() throws(ParseFailure) -> StructuredFieldItem {
        skipSP()
        let item = try parseItemInternal()
        skipSP()
        guard index == bytes.count else { throw fail("trailing characters after item") }
        return item
    }

    // MARK: - Components

    private mutating func endOfMember() throws(ParseFailure) {
        skipOWS()
        if index == bytes.count { return }
        guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected \",\" between members") }
        index += 1
        skipOWS()
        if index == bytes.count { throw fail("trailing comma") }
    }

    private mutating func parseItemOrInnerList() throws(ParseFailure) -> StructuredFieldMember {
        if peek() == UInt8(ascii: "(") { return try parseInnerList() }
        return .item(try parseItemInternal())
    }

    private mutating func parseInnerList() throws(ParseFailure) -> StructuredFieldMember {
        guard peek() == UInt8(ascii: "(") else { throw fail("expected \"(\"") }
        index += 1
        var items: [StructuredFieldItem] = []
        while index < bytes.count {
            skipSP()
            if peek() == UInt8(ascii: ")") {
                index += 1
                return .innerList(items, parameters: try parseParameters())
            }
            items.append(try parseItemInternal())
            guard items.count <= Self.maximumMembers else { throw fail("too many inner list items") }
            guard let next = peek(), next == UInt8(ascii: " ") || next == UInt8(ascii: ")") else {
                throw fail("expected space or \")\" in inner list")
            }
        }
        throw fail("unterminated inner list")
    }

    private mutating func parseItemInternal() throws(ParseFailure) -> StructuredFieldItem {
        let bare = try parseBareItem()
        return StructuredFieldItem(bare, parameters: try parseParameters())
    }

    private mutating func parseParameters() throws(ParseFailure) -> [StructuredFieldParameter] {
        var parameters: [StructuredFieldParameter] = []
        while peek() == UInt8(ascii: ";") {
            index += 1
            skipSP()
            let key = try parseKey()
            var value = StructuredFieldBareItem.boolean(true)
            if peek() == UInt8(ascii: "=") {
                index += 1
                value = try parseBareItem()
            }
            if let existing = parameters.firstIndex(where: { $0.key == key }) {
                parameters[existing].value = value  // RFC 9651 §4.2.3.2: the last value wins, position kept
            } else {
                parameters.append(StructuredFieldParameter(key: key, value: value))
                guard parameters.count <= Self.maximumMembers else { throw fail("too many parameters") }
            }
        }
        return parameters
    }

    private mutating func parseKey() throws(ParseFailure) -> String {
        guard let first = peek(), Self.isLCAlpha(first) || first == UInt8(ascii: "*") else {
            throw fail("expected a key (lower-case letter or \"*\")")
        }
        let start = index
        index += 1
        while let byte = peek(),
            Self.isLCAlpha(byte) || Self.isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "*")
        {
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseBareItem() throws(ParseFailure) -> StructuredFieldBareItem {
        guard let first = peek() else { throw fail("expected an item") }
        switch first {
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: ":"): return .byteSequence(try parseByteSequence())
        case UInt8(ascii: "?"): return .boolean(try parseBoolean())
        case UInt8(ascii: "@"):
            index += 1
            guard case .integer(let seconds) = try parseNumber() else { throw fail("a date must be an integer") }
            return .date(seconds)
        case UInt8(ascii: "%"): return .displayString(try parseDisplayString())
        default:
            guard Self.isAlpha(first) || first == UInt8(ascii: "*") else { throw fail("unexpected character") }
            return .token(parseToken())
        }
    }

    private mutating func parseNumber() throws(ParseFailure) -> StructuredFieldBareItem {
        var negative = false
        if peek() == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard let first = peek(), Self.isDigit(first) else { throw fail("expected a digit") }
        var integerPart: Int64 = 0
        var integerDigits = 0
        while let byte = peek(), Self.isDigit(byte) {
            integerDigits += 1
            guard integerDigits <= 15 else { throw fail("integer has more than 15 digits") }
            integerPart = integerPart * 10 + Int64(byte - UInt8(ascii: "0"))
            index += 1
        }
        guard peek() == UInt8(ascii: ".") else { return .integer(negative ? -integerPart : integerPart) }
        guard integerDigits <= 12 else { throw fail("decimal has more than 12 integer digits") }
        index += 1
        var fraction: Int64 = 0
        var fractionDigits = 0
        while let byte = peek(), Self.isDigit(byte) {
            fractionDigits += 1
            guard fractionDigits <= 3 else { throw fail("decimal has more than 3 fractional digits") }
            fraction = fraction * 10 + Int64(byte - UInt8(ascii: "0"))
            index += 1
        }
        guard fractionDigits > 0 else { throw fail("decimal ends with \".\"") }
        for _ in fractionDigits..<3 { fraction *= 10 }
        let thousandths = integerPart * 1000 + fraction
        return .decimal(thousandths: negative ? -thousandths : thousandths)
    }

    private mutating func parseString() throws(ParseFailure) -> String {
        index += 1  // opening DQUOTE
        var output: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\\"):
                guard let next = peek(), next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") else {
                    throw fail("invalid escape in string")
                }
                output.append(next)
                index += 1
            case UInt8(ascii: "\""):
                return String(decoding: output, as: UTF8.self)
            case 0x20...0x7E:
                output.append(byte)
            default:
                throw fail("string contains a non-printable or non-ASCII byte")
            }
        }
        throw fail("unterminated string")
    }

    private mutating func parseToken() -> String {
        let start = index
        while let byte = peek(), Self.isTChar(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "/") {
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseByteSequence() throws(ParseFailure) -> [UInt8] {
        index += 1  // opening colon
        let start = index
        while let byte = peek(), byte != UInt8(ascii: ":") {
            guard Base64.isAlphabetOrPadding(byte) else { throw fail("invalid character in byte sequence") }
            index += 1
        }
        guard peek() == UInt8(ascii: ":") else { throw fail("unterminated byte sequence") }
        let end = index
        index += 1
        guard let decoded = Base64.decode(bytes[start..<end]) else { throw fail("invalid base64 in byte sequence") }
        return decoded
    }

    private mutating func parseBoolean() throws(ParseFailure) -> Bool {
        index += 1
        switch peek() {
        case UInt8(ascii: "1"):
            index += 1
            return true
        case UInt8(ascii: "0"):
            index += 1
            return false
        default: throw fail("invalid boolean")
        }
    }

    private mutating func parseDisplayString() throws(ParseFailure) -> String {
        index += 1  // %
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected '\"' after '%'") }
        index += 1
        var output: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "%"):
                guard index + 1 < bytes.count, let high = Self.lowerHex(bytes[index]), let low = Self.lowerHex(bytes[index + 1])
                else { throw fail("invalid percent-encoding in display string") }
                output.append(high << 4 | low)
                index += 2
            case UInt8(ascii: "\""):
                guard let text = String(validating: output, as: UTF8.self) else { throw fail("display string is not UTF-8") }
                return text
            case 0x20...0x7E:
                output.append(byte)
            default:
                throw fail("invalid byte in display string")
            }
        }
        throw fail("unterminated display string")
    }

    // MARK: - Helpers

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSP() {
        while peek() == UInt8(ascii: " ") { index += 1 }
    }

    private mutating func skipOWS() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { index += 1 }
    }

    private func fail(_ reason: String) -> ParseFailure { ParseFailure(reason: reason, offset: index) }

    static func isLCAlpha(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
    static func isAlpha(_ b: UInt8) -> Bool { isLCAlpha(b) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) }
    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private static func lowerHex(_ b: UInt8) -> UInt8? {
        if isDigit(b) { return b - UInt8(ascii: "0") }
        if b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f") { return b - UInt8(ascii: "a") + 10 }
        return nil
    }

    /// `tchar` of RFC 9110 §5.6.2.
    static func isTChar(_ b: UInt8) -> Bool {
        if isAlpha(b) || isDigit(b) { return true }
        switch b {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }
}
