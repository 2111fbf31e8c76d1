/// The one rule for a name a client gives itself and a person then reads on a consent page: OAuth
/// `client_name` (RFC 7591 §2, an operator's definition, a Client ID Metadata Document) and GNAP
/// `client.display.name` (RFC 9635 §2.3.2).
///
/// Such a name is the page's only words from the client, so it must not be able to rearrange the
/// words around it: Unicode format characters (general category Cf: the bidirectional overrides and
/// isolates U+202A–U+202E and U+2066–U+2069, the marks U+200E/U+200F/U+061C, zero-width joiners and
/// spaces), controls, line and paragraph separators, private-use, unassigned and surrogate code points
/// are refused (Unicode TR9 §2; RFC 9700 §4.1 on clients impersonating others through their names).
/// The pages also isolate every client-chosen name (`<bdi>`), for names stored before this rule.
public enum DisplayedName {
    /// At most this many bytes of UTF-8.
    public static let maximumBytes = 200

    /// Whether `name` is 1 to ``maximumBytes`` bytes of text that displays as it reads.
    /// - Parameter name: the name as the client gave it.
    /// - Returns: `true` when it is not empty, not too long, and ``displaysAsItReads(_:)``.
    public static func isDisplayable(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maximumBytes && displaysAsItReads(name)
    }

    /// At most this many Unicode scalars in one character (extended grapheme cluster): a letter with its accents, a
    /// flag, a keycap. A character carrying more stacks combining marks above and below the line, over the words of
    /// the page around the name, such as its "unverified" warning (review round 11, J14).
    public static let maximumScalarsPerCharacter = 5

    /// Whether every scalar of `text` is a visible character or an ordinary space, and no character stacks more than
    /// ``maximumScalarsPerCharacter`` scalars.
    /// - Parameter text: any text a page will show.
    /// - Returns: `false` when one of its scalars does not ``displaysAsItReads(scalar:)`` or a character is too tall.
    public static func displaysAsItReads(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy(displaysAsItReads(scalar:))
            && text.allSatisfy { $0.unicodeScalars.count <= maximumScalarsPerCharacter }
    }

    /// Whether `scalar` is a visible character or an ordinary space.
    /// - Parameter scalar: one Unicode scalar.
    /// - Returns: `false` for a control, format, line or paragraph separator, private-use, unassigned or surrogate scalar.
    public static func displaysAsItReads(scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse, .surrogate: false
        default: true
        }
    }
}
