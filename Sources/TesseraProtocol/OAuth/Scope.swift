/// A set of scope tokens (RFC 6749 §3.3): space-delimited on the wire, order-insensitive.
public struct Scope: Hashable, Sendable, CustomStringConvertible {
    /// The scope tokens, sorted, without duplicates.
    public let tokens: [String]

    /// Builds a scope from tokens; duplicates are dropped and the order normalised.
    public init(_ tokens: some Sequence<String>) {
        self.tokens = Array(Set(tokens)).sorted()
    }

    /// Parses the wire form. Each token must be `%x21 / %x23-5B / %x5D-7E` (RFC 6749 §3.3).
    /// - Throws: ``OAuthError`` `invalid_scope` for a malformed value.
    public init(parsing string: String) throws(OAuthError) {
        var tokens: [String] = []
        for part in string.split(separator: " ", omittingEmptySubsequences: true) {
            guard part.utf8.allSatisfy(Scope.isScopeCharacter) else {
                throw OAuthError.invalidScope("scope contains a character that RFC 6749 §3.3 does not allow")
            }
            tokens.append(String(part))
        }
        self.init(tokens)
    }

    public static let empty = Scope([])

    public var isEmpty: Bool { tokens.isEmpty }
    /// The space-delimited wire form.
    public var description: String { tokens.joined(separator: " ") }

    public func isSubset(of other: Scope) -> Bool { Set(tokens).isSubset(of: Set(other.tokens)) }
    public func subtracting(_ other: Scope) -> Scope { Scope(Set(tokens).subtracting(other.tokens)) }

    /// Whether `token` is one scope token: non-empty, each byte `%x21 / %x23-5B / %x5D-7E` (RFC 6749 §3.3, ASCII).
    /// - Parameter token: The candidate.
    /// - Returns: `true` for a well-formed scope token.
    static func isScopeToken(_ token: String) -> Bool {
        !token.isEmpty && token.utf8.allSatisfy(isScopeCharacter)
    }

    private static func isScopeCharacter(_ byte: UInt8) -> Bool {
        byte == 0x21 || (0x23...0x5B).contains(byte) || (0x5D...0x7E).contains(byte)
    }
}
