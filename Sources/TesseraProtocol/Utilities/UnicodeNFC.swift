import Foundation

/// The one rule that makes Swift's string comparison agree with the protocols' (and Cedar's): text a request carries
/// must be in Unicode Normalization Form C (UAX #15).
///
/// RFC 8259 §8.3 compares JSON strings code unit by code unit, RFC 9635 §8 and RFC 9396 §2 treat rights as exact
/// strings, and Cedar compares bytes. Swift's `String ==`, `Set` and `Dictionary` instead treat canonically
/// equivalent strings as equal (`"\u{212A}"`, KELVIN SIGN, equals `"K"`; `"e\u{301}"` equals `"é"`), so a right
/// spelled `\u{212A}YC` matched a configured `KYC` in every Swift check and missed the owner's Cedar rule on
/// `Scope::"KYC"`. For NFC strings canonical equivalence is identity, so refusing every other string at input makes
/// the two comparisons one. Refused, never repaired: a normalized copy would be a different string from the one the
/// client signed and will compare later.
///
/// ```swift
/// guard UnicodeNFC.isNormalized(value) else { throw OAuthError.invalidRequest("… not in NFC") }
/// ```
public enum UnicodeNFC {
    /// What a refusal says about the rule, for error descriptions.
    public static let rule = "is not in Unicode Normalization Form C (strings are compared code point by code point, RFC 8259 §8.3)"

    /// Whether `value` is in NFC. Pure ASCII (every protocol value in practice) answers without normalizing.
    /// - Parameter value: The text.
    /// - Returns: `true` when normalizing to NFC would leave it unchanged.
    public static func isNormalized(_ value: String) -> Bool {
        if value.utf8.allSatisfy({ $0 < 0x80 }) { return true }
        return value.precomposedStringWithCanonicalMapping.utf8.elementsEqual(value.utf8)
    }

    /// Whether every member name and every string in a JSON value is in NFC.
    /// - Parameter value: The parsed JSON.
    /// - Returns: `true` when no string in it would change under NFC.
    public static func isNormalized(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool, .number: return true
        case .string(let text): return isNormalized(text)
        case .array(let items): return items.allSatisfy(isNormalized)
        case .object(let members): return members.allSatisfy { isNormalized($0.key) && isNormalized($0.value) }
        }
    }

    /// Exact equality of two strings, code point by code point (RFC 8259 §8.3), where `==` would call canonically
    /// equivalent strings equal. For text that may come from another issuer and was never held to NFC.
    /// - Parameters:
    ///   - lhs: One string.
    ///   - rhs: The other.
    /// - Returns: `true` when both have the same UTF-8 bytes.
    public static func identical(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.elementsEqual(rhs.utf8)
    }
}
