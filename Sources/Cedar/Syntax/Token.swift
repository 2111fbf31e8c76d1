/// A lexical token.
enum TokenKind: Hashable, Sendable {
    case identifier(String)
    /// Digits of an integer literal, not yet range-checked.
    case integer(String)
    /// The raw text between the quotes; escapes are decoded by the parser.
    case string(String)
    /// `?name`.
    case slot(String)
    case punct(String)
    case end

    var display: String {
        switch self {
        case .identifier(let s): "`\(s)`"
        case .integer(let s): "`\(s)`"
        case .string(let s): "\"\(s)\""
        case .slot(let s): "`?\(s)`"
        case .punct(let s): "`\(s)`"
        case .end: "end of input"
        }
    }
}

struct Token: Hashable, Sendable {
    var kind: TokenKind
    var location: SourceLocation
}
