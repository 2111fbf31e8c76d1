/// Why a JWS or JWK was refused. Match on ``code``; ``message`` is safe to show a client.
public struct JOSEError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case malformed, algorithmNotAllowed, unknownKey, badSignature, typeMismatch, unsupportedCritical, invalidKey
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        public static let malformed = Code(.malformed)
        public static let algorithmNotAllowed = Code(.algorithmNotAllowed)
        public static let unknownKey = Code(.unknownKey)
        public static let badSignature = Code(.badSignature)
        public static let typeMismatch = Code(.typeMismatch)
        public static let unsupportedCritical = Code(.unsupportedCritical)
        public static let invalidKey = Code(.invalidKey)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func malformed(_ message: String) -> Self { Self(.malformed, message) }
    public var description: String { message }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
