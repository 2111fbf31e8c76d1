/// A type in a Cedar schema: the shape of an attribute, a tag or a context field.
public indirect enum SchemaType: Hashable, Sendable, CustomStringConvertible {
    /// `Bool`.
    case bool
    /// `Long`.
    case long
    /// `String`.
    case string
    /// An entity of the given type.
    case entity(EntityType)
    /// `Set<T>`.
    case set(SchemaType)
    /// A record.
    case record(RecordType)
    /// An extension type: `ipaddr`, `decimal`, `datetime` or `duration`.
    case `extension`(String)

    /// The type in `.cedarschema` syntax.
    public var description: String {
        switch self {
        case .bool: "Bool"
        case .long: "Long"
        case .string: "String"
        case .entity(let t): t.name
        case .set(let e): "Set<\(e)>"
        case .record(let r): r.description
        case .extension(let n): n
        }
    }
}

/// An attribute of a record type: its type and whether it must be present.
public struct AttributeType: Hashable, Sendable {
    /// The attribute's type.
    public var type: SchemaType
    /// `false` for optional (`name?: T`) attributes.
    public var isRequired: Bool

    /// Creates an attribute type.
    public init(_ type: SchemaType, isRequired: Bool = true) {
        self.type = type
        self.isRequired = isRequired
    }
}

/// A record type: attribute names to attribute types.
public struct RecordType: Hashable, Sendable, CustomStringConvertible {
    /// The declared attributes.
    public var attributes: [String: AttributeType]
    /// Each attribute's annotations (`@doc("…")`, `@label("…")`), by attribute name. Documentation
    /// only: ignored by equality and hashing, so annotated and bare types are the same type.
    public var annotations: [String: [String: String]] = [:]

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.attributes == rhs.attributes }
    public func hash(into hasher: inout Hasher) { hasher.combine(attributes) }

    /// Creates a record type.
    public init(_ attributes: [String: AttributeType] = [:]) { self.attributes = attributes }

    /// The record in `.cedarschema` syntax (attributes sorted by name).
    public var description: String {
        if attributes.isEmpty { return "{}" }
        let fields = attributes.sorted { $0.key < $1.key }.map {
            "\(SchemaPrinter.name($0.key))\($0.value.isRequired ? "" : "?"): \($0.value.type)"
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

/// One entity type declared by a schema.
public struct EntityTypeDeclaration: Hashable, Sendable {
    /// The fully qualified type name.
    public var name: EntityType
    /// The types an entity of this type may have as direct parents.
    public var memberOfTypes: [EntityType]
    /// The attributes.
    public var attributes: RecordType
    /// The type of every tag value, when the type has tags.
    public var tags: SchemaType?
    /// The allowed ids of an enumerated entity type (`entity Color enum ["red", "blue"]`).
    public var enumeratedIDs: [String]?
    /// The declaration's annotations (`@doc("…")`, `@label("…")`), by key.
    public var annotations: [String: String] = [:]
}

/// One action declared by a schema.
public struct ActionDeclaration: Hashable, Sendable {
    /// The action's uid, for example `App::Action::"view"`.
    public var uid: EntityUID
    /// The action groups it is a direct member of.
    public var memberOf: [EntityUID]
    /// The principal types it applies to (empty when it applies to no request).
    public var principalTypes: [EntityType]
    /// The resource types it applies to.
    public var resourceTypes: [EntityType]
    /// The context's type.
    public var context: RecordType
    /// The declaration's annotations (`@doc("…")`, `@label("…")`), by key.
    public var annotations: [String: String] = [:]
}

/// A Cedar schema: entity types, actions and what each action applies to, parsed from the
/// human-readable `.cedarschema` syntax or the JSON schema format.
///
/// ```swift
/// let schema = try Schema(parsing: "entity User; entity Doc; action view appliesTo { principal: User, resource: Doc };")
/// let report = Validator(schema: schema).validate(policySet)
/// ```
public struct Schema: Sendable, Hashable {
    /// Every declared entity type, by name.
    public private(set) var entityTypes: [EntityType: EntityTypeDeclaration]
    /// Every declared action, by uid.
    public private(set) var actions: [EntityUID: ActionDeclaration]
    /// For each entity type, every type an entity of it may have as an ancestor (transitive).
    let ancestorTypes: [EntityType: Set<EntityType>]
    /// For each action, every action group it is in (transitive).
    let actionAncestors: [EntityUID: Set<EntityUID>]
    /// The action entity types (`Action`, `NS::Action`) the schema declares actions of.
    let actionTypes: Set<EntityType>

    init(entityTypes: [EntityType: EntityTypeDeclaration], actions: [EntityUID: ActionDeclaration]) throws(SchemaError) {
        self.entityTypes = entityTypes
        self.actions = actions
        for decl in entityTypes.values {
            for parent in decl.memberOfTypes where entityTypes[parent] == nil {
                throw SchemaError("entity type `\(decl.name)` is declared in `\(parent)`, which is not declared")
            }
        }
        for decl in actions.values {
            for parent in decl.memberOf where actions[parent] == nil {
                throw SchemaError("action `\(decl.uid)` is declared in `\(parent)`, which is not declared")
            }
            for t in decl.principalTypes + decl.resourceTypes where entityTypes[t] == nil {
                throw SchemaError("action `\(decl.uid)` applies to `\(t)`, which is not declared")
            }
        }
        func closure<K: Hashable>(_ direct: [K: [K]]) -> [K: Set<K>] {
            var out: [K: Set<K>] = [:]
            for key in direct.keys {
                var seen = Set<K>()
                var stack = direct[key] ?? []
                while let next = stack.popLast() {
                    if seen.insert(next).inserted { stack += direct[next] ?? [] }
                }
                out[key] = seen
            }
            return out
        }
        ancestorTypes = closure(entityTypes.mapValues(\.memberOfTypes))
        actionAncestors = closure(actions.mapValues(\.memberOf))
        for (uid, ancestors) in actionAncestors where ancestors.contains(uid) {
            throw SchemaError("action `\(uid)` is in a cycle of action groups")
        }
        actionTypes = Set(actions.keys.map(\.type))
    }

    /// Whether `type` is declared as an entity type or is the type of a declared action.
    public func isKnown(_ type: EntityType) -> Bool { entityTypes[type] != nil || actionTypes.contains(type) }

    /// Whether an entity of type `child` may be (transitively) in an entity of type `ancestor`.
    func mayBeIn(_ child: EntityType, _ ancestor: EntityType) -> Bool {
        child == ancestor || ancestorTypes[child]?.contains(ancestor) == true
            || (actionTypes.contains(child) && actionTypes.contains(ancestor))
    }

    /// The action entities the schema implies, with their group memberships (added to an
    /// entity store when entities are parsed with a schema).
    public var actionEntities: [Entity] {
        actions.values.map { Entity(uid: $0.uid, parents: Set($0.memberOf)) }
    }
}

/// Why a schema could not be parsed or is inconsistent.
public struct SchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    /// Where, for `.cedarschema` text.
    public let location: SourceLocation?

    init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }

    public var description: String { location.map { "\($0): \(message)" } ?? message }
}
