/// How a right is spelled (review round 12, K6): a GNAP access reference, and the `type`, `actions`, `locations`,
/// `datatypes` and `privileges` of a GNAP access object (RFC 9635 §8) or an RFC 9396 `authorization_details` entry,
/// hold no white space.
///
/// `"admin\n"`, `" admin"` or `"admin\u{A0}"` is another entity than `Scope::"admin"` to the decision point, so an
/// owner's forbid on `admin` did not apply; yet a consent page collapses the white space and shows `admin`, and a
/// resource server that trims values or joins them into a space-separated `scope` reads `admin`. The OAuth door's
/// `scope` already admits no white space inside a token (RFC 6749 §3.3); the other spellings of a right now agree.
public enum RightSpelling {
    /// What a refusal says about the rule, for error descriptions.
    public static let rule = "must not contain white space (spaces, tabs, line breaks, no-break spaces)"

    /// The members of a RAR entry or GNAP access object that name or bound a right.
    public static let members = ["type", "actions", "locations", "datatypes", "privileges"]

    /// Whether `text` holds a Unicode white space character.
    /// - Parameter text: a right's name or one of its values.
    /// - Returns: `true` when one of its scalars is white space (Unicode `White_Space`).
    public static func hasWhiteSpace(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.isWhitespace }
    }

    /// The first of ``members`` whose value (a string, or an array of strings) holds white space.
    /// - Parameter entry: a RAR entry or a GNAP access object as JSON.
    /// - Returns: the member's name, or `nil` when every naming member is spelled without white space.
    public static func spacedMember(of entry: [String: JSONValue]) -> String? {
        members.first { name in
            switch entry[name] {
            case .string(let text)?: hasWhiteSpace(text)
            case .array(let items)?: items.contains { if case .string(let text) = $0 { hasWhiteSpace(text) } else { false } }
            default: false
            }
        }
    }
}
