/// A failure of the store. ``description`` carries no SQL and no secrets.
public struct StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case conflict, unavailable, invalidURL, corrupt }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// A unique key already exists.
        public static let conflict = Code(.conflict)
        /// The database cannot be reached or is busy beyond its timeout.
        public static let unavailable = Code(.unavailable)
        /// The database URL is not understood.
        public static let invalidURL = Code(.invalidURL)
        /// A stored row could not be read back.
        public static let corrupt = Code(.corrupt)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    /// An `unavailable` refused at once because the database is known to be down (the circuit
    /// breaker is open): the outage was logged once when it began, so callers need not log this one.
    public let isKnownOutage: Bool

    public init(_ code: Code, _ message: String, knownOutage: Bool = false) {
        self.code = code
        self.message = message
        self.isKnownOutage = knownOutage
    }

    public var description: String { "StorageError.\(code): \(message)" }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
