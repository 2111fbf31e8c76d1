import Foundation

/// The one gate every identifier a request presents goes through before it becomes a store lookup,
/// a cache key or a throttle key: usernames, client ids, user codes, grant, management and
/// interaction ids.
///
/// Why one gate: SQLite reads a bound string only up to its first NUL, so `bob\u{0}zz` finds `bob`
/// while an in-memory key (a throttle, a cache) sees a different name; a name in another Unicode
/// normalization form looks identical on a page and differs in the store. Either way two parts of
/// the server disagree about *who* a request names. An identifier is therefore refused, never
/// repaired, when it:
///
/// - is empty or longer than its kind allows (counted in UTF-8 bytes);
/// - holds a control character (general category Cc: NUL, C0, DEL, C1), a format character (Cf:
///   zero-width and bidi controls, BOM), a line or paragraph separator, a surrogate, a private-use
///   or an unassigned code point (RFC 8264 §9.11–9.16 treat these as disallowed in identifiers);
/// - is not in Unicode Normalization Form C (RFC 8264 §7, step 4; RFC 5198 §3 for net text);
/// - breaks its kind's own alphabet (for example a client id is VSCHAR, RFC 6749 Appendix A.1).
///
/// ```swift
/// let name = try PresentedIdentifier.canonical(form["username"] ?? "", as: .username)
/// ```
public enum PresentedIdentifier {
    /// The kinds of identifier, each with its length bound and alphabet.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        /// What the identifier names, for error descriptions.
        public let name: String
        /// Longest accepted form in UTF-8 bytes.
        public let maximumBytes: Int
        let alphabet: Alphabet

        enum Alphabet: Sendable, Hashable {
            /// Any scalar the general rules allow.
            case unicode
            /// RFC 6749 Appendix A: VSCHAR (%x20-7E); Tessera also refuses the space.
            case visibleASCII
            /// ASCII letters and digits, `.`, `_`, `-`, `@` (a person's sign-in name).
            case username
            /// ASCII letters, digits, `-` and `_` (base64url and hex identifiers the server minted).
            case token
        }

        public var description: String { name }

        /// A person's sign-in name: 1 to 64 ASCII letters, digits, `.`, `_`, `-`, `@`.
        public static let username = Kind(name: "username", maximumBytes: 64, alphabet: .username)
        /// An OAuth `client_id` (RFC 6749 §2.2, Appendix A.1) or a GNAP instance id: printable ASCII.
        public static let clientID = Kind(name: "client_id", maximumBytes: 255, alphabet: .visibleASCII)
        /// An identifier the server minted (grant, management, interaction id): base64url or hex.
        public static let serverIdentifier = Kind(name: "identifier", maximumBytes: 128, alphabet: .token)
        /// A user code as typed (RFC 9635 §4.1.2): letters, digits, a separator or two, at most 32 bytes.
        public static let userCode = Kind(name: "user code", maximumBytes: 32, alphabet: .unicode)
        /// A JWT ID (RFC 7519 §4.1.7) that keys a single-use record: NFC text without control or format
        /// characters, at most 256 bytes, so the SQLite and PostgreSQL replay keys are the same string.
        public static let tokenID = Kind(name: "jti", maximumBytes: 256, alphabet: .unicode)
    }

    /// Why an identifier was refused; `message` is safe to show (it never echoes the value).
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public let kind: Kind
        public let message: String
        public var description: String { message }
    }

    /// The identifier itself when it passes every rule for `kind`.
    ///
    /// - Throws: ``Refusal`` naming the rule that failed.
    public static func canonical(_ value: String, as kind: Kind) throws(Refusal) -> String {
        guard !value.isEmpty else { throw Refusal(kind: kind, message: "the \(kind) is empty") }
        guard value.utf8.count <= kind.maximumBytes else {
            throw Refusal(kind: kind, message: "the \(kind) is longer than \(kind.maximumBytes) bytes")
        }
        for scalar in value.unicodeScalars where !isAllowed(scalar) {
            throw Refusal(kind: kind, message: "the \(kind) contains a control, format or unassigned character (U+\(hex(scalar)))")
        }
        guard UnicodeNFC.isNormalized(value) else {
            throw Refusal(kind: kind, message: "the \(kind) is not in Unicode Normalization Form C (RFC 8264 §7)")
        }
        switch kind.alphabet {
        case .unicode:
            break
        case .visibleASCII:
            guard value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw Refusal(kind: kind, message: "a \(kind) is printable ASCII without spaces (RFC 6749 Appendix A.1)")
            }
        case .username:
            guard
                value.utf8.allSatisfy({
                    isASCIIAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
                        || $0 == UInt8(ascii: "@")
                })
            else {
                throw Refusal(kind: kind, message: "a username is 1 to 64 ASCII letters, digits, '.', '_', '-' or '@'")
            }
        case .token:
            guard value.utf8.allSatisfy({ isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else {
                throw Refusal(kind: kind, message: "an \(kind) is ASCII letters, digits, '-' and '_'")
            }
        }
        return value
    }

    /// Whether `value` would pass ``canonical(_:as:)``.
    public static func isCanonical(_ value: String, as kind: Kind) -> Bool {
        (try? canonical(value, as: kind)) != nil
    }

    /// The key a throttle counts a username under: its canonical form, case-folded, so `Bob` and
    /// `bob` share one budget of attempts.
    public static func throttleKey(username canonical: String) -> String { canonical.lowercased() }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value >= 0x20 && scalar.value != 0x7F }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: return false
        default: return !scalar.properties.isNoncharacterCodePoint
        }
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    private static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
