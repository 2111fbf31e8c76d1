/// Byte-level helpers for header values on the hot path (issue 22): Foundation's `trimmingCharacters(in:)` and
/// `lowercased()` bridge through `NSString` and cost several microseconds per request.
enum HeaderText {
    /// `text` without leading and trailing optional whitespace (RFC 9110 §5.6.3: spaces and horizontal tabs).
    /// - Parameter text: A header value or a part of one.
    /// - Returns: The trimmed text.
    static func trimmingOWS(_ text: Substring) -> Substring {
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
            let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return text[text.endIndex...] }
        return text[first...last]
    }

    /// Whether `text` equals `lowercaseASCII` ignoring ASCII case (header tokens and media types are case-insensitive,
    /// RFC 9110 §8.3.1); `lowercaseASCII` must be lower-case ASCII.
    /// - Parameters:
    ///   - text: The value from the request.
    ///   - lowercaseASCII: The expected value, in lower case.
    /// - Returns: Whether they match.
    static func equalsIgnoringASCIICase(_ text: Substring, _ lowercaseASCII: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: lowercaseASCII.utf8Start, count: lowercaseASCII.utf8CodeUnitCount)
        guard text.utf8.count == expected.count else { return false }
        for (byte, wanted) in zip(text.utf8, expected) {
            let folded = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            guard folded == wanted else { return false }
        }
        return true
    }
}
