import TesseraEngine

/// HTML built by string interpolation that escapes every interpolated `String` (HTML5 text and
/// attribute contexts: `& < > " '`). Only another ``HTML`` value is inserted as-is, so markup can be
/// composed but text from a request can never become markup.
struct HTML: Sendable, ExpressibleByStringInterpolation {
    let text: String

    init(stringLiteral value: String) { text = value }
    init(stringInterpolation: StringInterpolation) { text = stringInterpolation.text }
    private init(raw: String) { text = raw }

    static let empty = HTML(stringLiteral: "")

    /// Joins fragments.
    static func join(_ parts: [HTML]) -> HTML { HTML(raw: parts.map(\.text).joined()) }

    struct StringInterpolation: StringInterpolationProtocol {
        var text = ""
        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity * 2) }
        mutating func appendLiteral(_ literal: String) { text += literal }
        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }
        mutating func appendInterpolation(_ value: Int) { text += String(value) }
        mutating func appendInterpolation(_ value: HTML) { text += value.text }
        mutating func appendInterpolation(_ values: [HTML]) { text += values.map(\.text).joined() }
    }

    /// Escapes `value` for HTML text and attributes. A scalar that would not display as it reads (a
    /// bidirectional override or isolate, a zero-width or other format character, a control other than
    /// line breaks and tabs, private-use or unassigned: ``DisplayedName/displaysAsItReads(_:)``) is
    /// written as its visible code point (`[U+202E]`), so text from a client can neither reorder nor hide the words of a
    /// page (Unicode TR9 §2; RFC 9700 §4.1). A character stacking more than
    /// ``DisplayedName/maximumScalarsPerCharacter`` scalars keeps its first and has the rest written as code points too,
    /// so combining marks in a right or a label cannot draw over the page around them (review round 12, K2).
    /// - Parameter value: text from anywhere.
    /// - Returns: the text, safe and visible.
    static func escape(_ value: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count)
        func visible(_ scalar: Unicode.Scalar) -> String { "[U+" + String(scalar.value, radix: 16, uppercase: true) + "]" }
        func append(_ scalar: Unicode.Scalar) {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "\n", "\r", "\t": escaped.unicodeScalars.append(scalar)
            case _ where !DisplayedName.displaysAsItReads(scalar: scalar): escaped += visible(scalar)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        for character in value {
            let scalars = character.unicodeScalars
            guard scalars.count > DisplayedName.maximumScalarsPerCharacter, let first = scalars.first else {
                scalars.forEach(append)
                continue
            }
            append(first)
            for scalar in scalars.dropFirst() { escaped += visible(scalar) }
        }
        return escaped
    }
}
