/// An error raised while evaluating one policy. The authorizer records it and skips the policy.
///
/// Match on ``code``; ``message`` is for people. Equality and hashing use ``code`` only.
public struct EvaluationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of evaluation error (language digest §6).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case entityDoesNotExist, attributeDoesNotExist, tagDoesNotExist, typeError, overflow
            case extensionError, wrongArity, unlinkedSlot, recursionLimit
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// An attribute or tag of an entity that is not in the entity store was read.
        public static let entityDoesNotExist = Code(.entityDoesNotExist)
        /// A record or entity lacks the attribute that was read.
        public static let attributeDoesNotExist = Code(.attributeDoesNotExist)
        /// An entity lacks the tag that was read.
        public static let tagDoesNotExist = Code(.tagDoesNotExist)
        /// An operand had the wrong kind.
        public static let typeError = Code(.typeError)
        /// `Long` arithmetic overflowed.
        public static let overflow = Code(.overflow)
        /// An extension function failed (bad constructor string, datetime overflow).
        public static let extensionError = Code(.extensionError)
        /// An extension function got the wrong number of arguments.
        public static let wrongArity = Code(.wrongArity)
        /// A template slot was evaluated (templates must be linked first).
        public static let unlinkedSlot = Code(.unlinkedSlot)
        /// The expression was nested too deeply to evaluate.
        public static let recursionLimit = Code(.recursionLimit)
        public var description: String { value.rawValue }
    }

    /// The kind of error.
    public let code: Code
    /// A message for policy authors.
    public let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    static func typeError(expected: String, got value: CedarValue) -> Self {
        var advice = ""
        if case .string = value, ["decimal", "ipaddr", "datetime", "duration"].contains(expected) {
            let ctor = expected == "ipaddr" ? "ip" : expected
            advice = "; maybe you forgot to apply the `\(ctor)` constructor?"
        }
        return Self(.typeError, "type error: expected \(expected), got \(value.kindName)\(advice)")
    }

    static func overflow(_ op: String, _ a: Int64, _ b: Int64? = nil) -> Self {
        if let b {
            return Self(.overflow, "integer overflow while attempting to \(op) the values \(a) and \(b)")
        }
        return Self(.overflow, "integer overflow while attempting to \(op) the value \(a)")
    }

    static func extensionError(_ fn: String, _ message: String) -> Self {
        Self(.extensionError, "error while evaluating `\(fn)` extension function: \(message)")
    }
}
