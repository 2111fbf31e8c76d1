/// Splits Cedar policy text into tokens (digest §1).
struct Lexer {
    static let maxSourceSize = 1 << 22

    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    static let reservedWords: Set<String> = ["true", "false", "if", "then", "else", "in", "is", "has", "like"]

    static func isIdentStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }

    static func isIdentContinue(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || (c >= "0" && c <= "9") }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, isIdentStart(first) else { return false }
        return s.unicodeScalars.allSatisfy(isIdentContinue)
    }

    /// Whether `name` is usable as an attribute name / path segment (not reserved; `__cedar` is reserved as a whole name, `a__cedar` is fine).
    static func isUsableName(_ s: String) -> Bool {
        isIdentifier(s) && !reservedWords.contains(s) && s != "__cedar"
    }

    /// Whether `path` is a normalised name: identifiers joined by `::`, no reserved words.
    static func isNormalizedPath(_ path: String) -> Bool {
        // Byte scan (this runs for every uid in entity JSON): identifiers separated by `::`.
        // Segments of at most 8 bytes are packed into a UInt64 and compared with the packed
        // reserved words, so no substring is ever allocated.
        var segmentStart = true
        var packed: UInt64 = 0
        var length = 0
        var previousColon = false
        for b in path.utf8 {
            if previousColon {
                guard b == 0x3A else { return false }
                previousColon = false
                segmentStart = true
                packed = 0
                length = 0
                continue
            }
            if b == 0x3A {
                guard !segmentStart, !reservedPacked.contains(length <= 8 ? packed : 0) else { return false }
                previousColon = true
                continue
            }
            let isAlpha = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
            let isDigit = b >= 0x30 && b <= 0x39
            guard isAlpha || (isDigit && !segmentStart) else { return false }
            segmentStart = false
            if length < 8 { packed = packed << 8 | UInt64(b) }
            length += 1
        }
        return !segmentStart && !previousColon && !reservedPacked.contains(length <= 8 ? packed : 0)
    }

    private static func pack(_ word: String) -> UInt64 { word.utf8.reduce(0) { $0 << 8 | UInt64($1) } }

    /// Reserved words and `__cedar`, packed as in ``isNormalizedPath(_:)``.
    private static let reservedPacked: Set<UInt64> = Set((reservedWords.union(["__cedar"])).map(pack))

    /// Tokenises the whole text.
    mutating func tokenize() -> Result<[Token], SyntaxError> {
        var tokens: [Token] = []
        tokens.reserveCapacity(scalars.count / 3)
        while true {
            switch next() {
            case .success(let t):
                tokens.append(t)
                if t.kind == .end { return .success(tokens) }
            case .failure(let d):
                return .failure(d)
            }
        }
    }

    private var here: SourceLocation { SourceLocation(line: line, column: column) }

    private mutating func advance() {
        if scalars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func next() -> Result<Token, SyntaxError> {
        // Skip whitespace and comments.
        while let c = peek() {
            if c.properties.isWhitespace {
                advance()
            } else if c == "/", peek(1) == "/" {
                while let d = peek(), d != "\n" { advance() }
            } else {
                break
            }
        }
        let start = here
        guard let c = peek() else { return .success(Token(kind: .end, location: start)) }
        if Self.isIdentStart(c) {
            var s = String.UnicodeScalarView()
            while let d = peek(), Self.isIdentContinue(d) {
                s.append(d)
                advance()
            }
            return .success(Token(kind: .identifier(String(s)), location: start))
        }
        if c >= "0" && c <= "9" {
            var s = ""
            while let d = peek(), d >= "0" && d <= "9" {
                s.unicodeScalars.append(d)
                advance()
            }
            if let d = peek(), Self.isIdentStart(d) {
                return .failure(SyntaxError(message: "invalid token", location: start))
            }
            return .success(Token(kind: .integer(s), location: start))
        }
        if c == "\"" {
            advance()
            var s = String.UnicodeScalarView()
            while true {
                guard let d = peek() else {
                    return .failure(SyntaxError(message: "unterminated string literal", location: start))
                }
                if d == "\"" {
                    advance()
                    break
                }
                if d == "\r" {
                    return .failure(SyntaxError(message: "carriage return in string literal", location: here))
                }
                if d == "\\" {
                    s.append(d)
                    advance()
                    guard let e = peek() else {
                        return .failure(SyntaxError(message: "unterminated string literal", location: start))
                    }
                    s.append(e)
                    advance()
                    continue
                }
                s.append(d)
                advance()
            }
            return .success(Token(kind: .string(String(s)), location: start))
        }
        if c == "?" {
            advance()
            var s = String.UnicodeScalarView()
            while let d = peek(), Self.isIdentContinue(d) {
                s.append(d)
                advance()
            }
            if s.isEmpty { return .failure(SyntaxError(message: "invalid token `?`", location: start)) }
            return .success(Token(kind: .slot(String(s)), location: start))
        }
        let two: [String] = ["::", "==", "!=", "<=", ">=", "||", "&&"]
        if let d = peek(1) {
            var pair = ""
            pair.unicodeScalars.append(c)
            pair.unicodeScalars.append(d)
            if two.contains(pair) {
                advance()
                advance()
                return .success(Token(kind: .punct(pair), location: start))
            }
        }
        let one = "@.,;:(){}[]<>+-*/%!="
        if one.unicodeScalars.contains(c) {
            advance()
            return .success(Token(kind: .punct(String(c)), location: start))
        }
        return .failure(SyntaxError(message: "invalid token `\(c)`", location: start))
    }
}
