/// One `WWW-Authenticate` challenge (RFC 9110 §11.6.1) as resource servers send them: a scheme
/// and `auth-param`s, e.g. `Bearer error="invalid_token", resource_metadata="…"` (RFC 6750 §3,
/// RFC 9449 §7.1, RFC 9728 §5.1).
public struct AuthenticationChallenge: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String
    /// Parameters in order; names are lower-case.
    public var parameters: [(name: String, value: String)]

    public init(scheme: String, parameters: [(name: String, value: String)] = []) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// The value of parameter `name`.
    public subscript(name: String) -> String? {
        parameters.first { $0.name == name.lowercased() }?.value
    }

    /// The header value: every parameter as a quoted string, with `"` and `\` escaped and control characters dropped.
    public var description: String {
        guard !parameters.isEmpty else { return scheme }
        let rendered = parameters.map { name, value in
            let safe = value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }
                .map { $0 == "\"" || $0 == "\\" ? "\\\($0)" : String($0) }.joined()
            return "\(name)=\"\(safe)\""
        }
        return scheme + " " + rendered.joined(separator: ", ")
    }

    /// Parses a `WWW-Authenticate` field value that may hold several challenges.
    /// Tolerates token or quoted-string parameter values (token68 credentials are not supported).
    public static func parse(_ value: String) -> [AuthenticationChallenge] {
        var challenges: [AuthenticationChallenge] = []
        var scanner = Scanner(Array(value.unicodeScalars))
        while !scanner.atEnd {
            scanner.skip { $0 == " " || $0 == "," || $0 == "\t" }
            let word = scanner.token()
            guard !word.isEmpty else { if !scanner.atEnd { scanner.index += 1 }; continue }
            scanner.skip { $0 == " " || $0 == "\t" }
            if scanner.peek == "=" {
                // A parameter of the current challenge.
                scanner.index += 1
                scanner.skip { $0 == " " || $0 == "\t" }
                let value = scanner.peek == "\"" ? scanner.quoted() : scanner.token()
                if !challenges.isEmpty { challenges[challenges.count - 1].parameters.append((word.lowercased(), value)) }
            } else {
                challenges.append(AuthenticationChallenge(scheme: word))
            }
        }
        return challenges
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.scheme.lowercased() == rhs.scheme.lowercased() && lhs.parameters.map(\.name) == rhs.parameters.map(\.name)
            && lhs.parameters.map(\.value) == rhs.parameters.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(scheme.lowercased())
        for parameter in parameters {
            hasher.combine(parameter.name)
            hasher.combine(parameter.value)
        }
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        var index = 0
        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }
        var atEnd: Bool { index >= scalars.count }
        var peek: Unicode.Scalar? { atEnd ? nil : scalars[index] }
        mutating func skip(while predicate: (Unicode.Scalar) -> Bool) {
            while let scalar = peek, predicate(scalar) { index += 1 }
        }
        mutating func token() -> String {
            var result = ""
            while let scalar = peek, scalar != " ", scalar != ",", scalar != "=", scalar != "\t", scalar != "\"" {
                result.unicodeScalars.append(scalar)
                index += 1
            }
            return result
        }
        mutating func quoted() -> String {
            index += 1
            var result = ""
            while let scalar = peek {
                index += 1
                if scalar == "\"" { break }
                if scalar == "\\", let next = peek {
                    result.unicodeScalars.append(next)
                    index += 1
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
            return result
        }
    }
}
