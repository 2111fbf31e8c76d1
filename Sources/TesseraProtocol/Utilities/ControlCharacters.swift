/// Control characters in the text a request carries (review round 11, J10).
///
/// A right `"admin\u{0}"` is another string than `"admin"` for Swift and for Cedar, so an owner's `forbid` on
/// `Scope::"admin"` does not apply to it; yet C code downstream (a resource server's, a log reader's) stops reading at
/// the NUL and sees `admin`, and an ESC sequence rewrites an operator's terminal. Two layers reading one string two
/// ways is how a forbid is bypassed, so such text is refused at input, never repaired. Tab, line feed and carriage
/// return stay allowed: a Cedar policy set (draft-cecchetti-oauth-rar-cedar) spans lines. Every other C0 control,
/// DEL and every C1 control (Unicode general category Cc) is refused.
public enum ControlCharacters {
    /// What a refusal says about the rule, for error descriptions.
    public static let rule = "contains a control character (U+0000 to U+001F other than tab and line breaks, or U+007F to U+009F)"

    /// Whether `text` holds a refused control character.
    /// - Parameter text: The text.
    /// - Returns: `true` for a C0 control other than tab, LF and CR, DEL, or a C1 control.
    public static func occur(in text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20, byte != 0x09, byte != 0x0A, byte != 0x0D { return true }
            if byte == 0x7F { return true }
            // U+0080 to U+009F are 0xC2 0x80 to 0xC2 0x9F in UTF-8; 0xC2 is never a continuation byte.
            if previous == 0xC2, byte <= 0x9F { return true }
            previous = byte
        }
        return false
    }

    /// Whether any member name or string in a JSON value holds a refused control character.
    /// - Parameter value: The parsed JSON.
    /// - Returns: `true` when one does.
    public static func occur(in value: JSONValue) -> Bool {
        switch value {
        case .null, .bool, .number: return false
        case .string(let text): return occur(in: text)
        case .array(let items): return items.contains { occur(in: $0) }
        case .object(let members): return members.contains { occur(in: $0.key) || occur(in: $0.value) }
        }
    }
}
