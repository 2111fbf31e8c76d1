extension Parser {
    /// Decodes a string literal's escapes (Rust string rules, digest §1).
    func unescape(_ raw: String, at location: SourceLocation) throws(SyntaxError) -> String {
        var out = String.UnicodeScalarView()
        for element in try decode(raw, pattern: false, at: location) {
            if case .literal(let c) = element { out.append(c) }
        }
        return String(out)
    }

    func unescapePattern(_ raw: String, at location: SourceLocation) throws(SyntaxError) -> Pattern {
        Pattern(elements: try decode(raw, pattern: true, at: location))
    }

    private func decode(_ raw: String, pattern: Bool, at location: SourceLocation) throws(SyntaxError) -> [PatternElement] {
        let s = Array(raw.unicodeScalars)
        var out: [PatternElement] = []
        out.reserveCapacity(s.count)
        var i = 0
        func bad(_ what: String) -> SyntaxError {
            SyntaxError(message: "invalid escape sequence \(what) in string literal", location: location)
        }
        func emit(_ c: Unicode.Scalar) { out.append(pattern && c == "*" ? .wildcard : .literal(c)) }
        while i < s.count {
            let c = s[i]
            guard c == "\\" else {
                emit(c)
                i += 1
                continue
            }
            guard i + 1 < s.count else { throw bad("`\\`") }
            let e = s[i + 1]
            i += 2
            switch e {
            case "n": emit("\n")
            case "r": emit("\r")
            case "t": emit("\t")
            case "\\": emit("\\")
            case "0": emit("\0")
            case "\"": emit("\"")
            case "'": emit("'")
            case "*" where pattern: out.append(.literal("*"))
            case "x":
                guard i + 1 < s.count, let h = hex(s[i]),
                    let l = hex(s[i + 1]), h <= 7
                else { throw bad("`\\x`") }
                emit(Unicode.Scalar(UInt8(h * 16 + l)))
                i += 2
            case "u":
                guard i < s.count, s[i] == "{" else { throw bad("`\\u`") }
                i += 1
                var value: UInt32 = 0
                var digits = 0
                while i < s.count, s[i] != "}" {
                    if s[i] == "_", digits > 0 {
                        i += 1
                        continue
                    }
                    guard let d = hex(s[i]) else { throw bad("`\\u`") }
                    digits += 1
                    if digits > 6 { throw bad("`\\u`") }
                    value = value * 16 + UInt32(d)
                    i += 1
                }
                guard i < s.count, digits > 0, let scalar = Unicode.Scalar(value) else { throw bad("`\\u`") }
                i += 1
                emit(scalar)
            default:
                throw bad("`\\\(e)`")
            }
        }
        return out
    }

    private func hex(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": c.value - 48
        case "a"..."f": c.value - 87
        case "A"..."F": c.value - 55
        default: nil
        }
    }
}
