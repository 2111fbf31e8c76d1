/// The name of an entity type: identifiers joined by `::`, such as `User` or `App::Doc`.
///
/// Type names are ASCII identifiers, so plain string comparison is exact.
public struct EntityType: Hashable, Sendable, CustomStringConvertible {
    /// The normalised name, for example `App::Doc`.
    public let name: String

    /// Creates a type name. The name is not checked; use ``EntityType/init(validating:)`` for input.
    public init(_ name: String) { self.name = name }

    /// Creates a type name from untrusted text, accepting only normalised names
    /// (identifiers joined by `::`, no whitespace, no reserved words).
    public init?(validating name: String) {
        guard Lexer.isNormalizedPath(name) else { return nil }
        self.name = name
    }

    /// Whether this is an action type (its last path segment is `Action`).
    public var isActionType: Bool { name == "Action" || name.hasSuffix("::Action") }

    public var description: String { name }
}

/// An entity reference `Type::"id"`.
///
/// The hash of the type and id is computed once, when the reference is made: entity references
/// are dictionary and set keys on every request (the store's index, ancestor sets, the
/// authorizer's scope index), and are made far less often than they are looked up.
public struct EntityUID: Hashable, Sendable, CustomStringConvertible {
    /// The entity's type.
    public let type: EntityType
    /// The entity's id (any string, compared by Unicode scalars).
    public let id: CedarString
    /// `type` and `id` hashed (with this process's seed); equal references have equal values.
    private let hashOfContent: Int

    /// Creates an entity reference.
    public init(type: EntityType, id: CedarString) {
        self.type = type
        self.id = id
        var hasher = Hasher()
        hasher.combine(type)
        hasher.combine(id)
        hashOfContent = hasher.finalize()
    }

    /// Creates an entity reference from a type name and an id.
    public init(_ type: String, _ id: String) {
        self.init(type: EntityType(type), id: CedarString(id))
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.hashOfContent == rhs.hashOfContent && lhs.id == rhs.id && lhs.type == rhs.type
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hashOfContent) }

    /// Cedar syntax, for example `User::"alice"`.
    public var description: String { "\(type.name)::\(PolicyFormatter.quote(id.value))" }
}
