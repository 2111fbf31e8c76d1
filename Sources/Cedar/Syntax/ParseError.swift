/// One problem found while parsing, with where it is.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    /// How serious a diagnostic is (an open set, so new levels are not breaking changes).
    public struct Severity: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The input cannot be used.
        public static let error = Severity("error")
        /// The input is usable but suspicious.
        public static let warning = Severity("warning")
        public var description: String { name }
    }

    /// How serious it is (every parse problem today is an ``Severity/error``).
    public let severity: Severity
    /// What is wrong, for a policy author.
    public let message: String
    /// Where (`nil` for JSON input, where ``path`` says where instead).
    public let location: SourceLocation?
    /// The file name given to the parser, if any.
    public let filename: String?

    /// Creates a diagnostic.
    public init(message: String, location: SourceLocation?, filename: String? = nil, severity: Severity = .error) {
        self.severity = severity
        self.message = message
        self.location = location
        self.filename = filename
    }

    /// `file:line:column: error: message`.
    public var description: String {
        var prefix = filename.map { "\($0):" } ?? ""
        if let location { prefix += "\(location):" }
        return prefix.isEmpty ? "\(severity): \(message)" : "\(prefix) \(severity): \(message)"
    }
}

/// Thrown when policy text, policy JSON, entity JSON or request JSON cannot be used.
///
/// Match on ``code``; every problem found is in ``diagnostics``.
public struct CedarParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of input failed.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case policySyntax, policyJSON, entities, request, templateLink }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// Cedar policy text did not parse.
        public static let policySyntax = Code(.policySyntax)
        /// The JSON policy format (EST) was malformed.
        public static let policyJSON = Code(.policyJSON)
        /// Entity JSON was malformed (or has a cycle or conflicting duplicates).
        public static let entities = Code(.entities)
        /// Request or context JSON was malformed.
        public static let request = Code(.request)
        /// A template link was invalid.
        public static let templateLink = Code(.templateLink)
        public var description: String { value.rawValue }
    }

    /// The kind of input that failed.
    public let code: Code
    /// Every problem found, in order.
    public let diagnostics: [Diagnostic]

    package init(_ code: Code, _ diagnostics: [Diagnostic]) {
        self.code = code
        self.diagnostics = diagnostics
    }

    package init(_ code: Code, _ message: String) {
        self.init(code, [Diagnostic(message: message, location: nil)])
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
