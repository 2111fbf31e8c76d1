/// An entity in a scope constraint: a literal or a template slot.
enum EntityReference: Hashable, Sendable {
    case entity(EntityUID)
    case slot(SlotID)
}

/// A principal or resource scope constraint.
enum ScopeConstraint: Hashable, Sendable {
    case any
    case equals(EntityReference)
    case `in`(EntityReference)
    case `is`(EntityType)
    case isIn(EntityType, EntityReference)

    var slot: SlotID? {
        switch self {
        case .equals(.slot(let s)), .in(.slot(let s)), .isIn(_, .slot(let s)): s
        default: nil
        }
    }

    func linked(_ values: [SlotID: EntityUID]) -> ScopeConstraint? {
        func fill(_ r: EntityReference) -> EntityReference? {
            guard case .slot(let s) = r else { return r }
            return values[s].map { .entity($0) }
        }
        switch self {
        case .any, .is: return self
        case .equals(let r): return fill(r).map { .equals($0) }
        case .in(let r): return fill(r).map { .in($0) }
        case .isIn(let t, let r): return fill(r).map { .isIn(t, $0) }
        }
    }
}

/// The action scope constraint.
///
/// `action in [A]` (``inSet(_:)`` of one) and `action in A` (``in(_:)``) mean the same and compare
/// equal (the reference's AST has one form for both); they stay distinct cases because the list
/// form names actions while the plain form may name an action group — RAR delegation
/// (`Policy.actionEntities`) accepts the first and refuses the second — and the formatter keeps
/// what was written.
enum ActionConstraint: Hashable, Sendable {
    case any
    case equals(EntityUID)
    case `in`(EntityUID)
    case inSet([EntityUID])

    /// The form equality and hashing use: a list of one as `in`.
    private var normalized: Normalized {
        switch self {
        case .any: .any
        case .equals(let e): .equals(e)
        case .in(let e): .in([e])
        case .inSet(let list): .in(list)
        }
    }

    private enum Normalized: Hashable {
        case any
        case equals(EntityUID)
        case `in`([EntityUID])
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.normalized == rhs.normalized }
    func hash(into hasher: inout Hasher) { hasher.combine(normalized) }
}

/// `when { … }` or `unless { … }`.
struct Condition: Hashable, Sendable {
    var isWhen: Bool
    var body: Expr
}

/// A policy or template: its id, effect, scope, conditions and annotations.
///
/// The scope and conditions are kept internal; the formatter, the JSON encoder and the
/// authorizer read them.
public struct Policy: Hashable, Sendable {
    /// `permit` or `forbid`.
    public enum Effect: String, Hashable, Sendable {
        /// Grants access when satisfied.
        case permit
        /// Denies access when satisfied; overrides every permit.
        case forbid
    }

    /// One annotation `@key("value")`.
    public struct Annotation: Hashable, Sendable {
        /// The annotation's key.
        public var key: String
        /// The annotation's value (`""` when written without one).
        public var value: String
        /// Whether a value was written (`@flag` vs `@flag("")`); they mean the same, but the
        /// formatter and the JSON format (`null`) keep the difference, as the reference does.
        var hasValue = true
    }

    /// The policy id (positional, `policy0`, … when parsed from text).
    public internal(set) var id: String
    /// `permit` or `forbid`.
    public let effect: Effect
    /// The annotations, in source order.
    public let annotations: [Annotation]
    let principal: ScopeConstraint
    let action: ActionConstraint
    let resource: ScopeConstraint
    let conditions: [Condition]
    /// Where the policy starts in its source text (`nil` for JSON input).
    public let location: SourceLocation?

    /// The slots this template uses; empty for a static policy.
    public var slots: [SlotID] { [principal.slot, resource.slot].compactMap { $0 } }

    /// Whether this is a template (uses `?principal` or `?resource`).
    public var isTemplate: Bool { !slots.isEmpty }

    /// The value of annotation `key`, if present.
    public func annotation(_ key: String) -> String? { annotations.first { $0.key == key }?.value }

    /// Whether two policies have the same AST (ignoring id and location).
    func sameAST(as other: Policy) -> Bool {
        effect == other.effect && annotations == other.annotations && principal == other.principal
            && action == other.action && resource == other.resource && conditions == other.conditions
    }

    public static func == (lhs: Policy, rhs: Policy) -> Bool { lhs.id == rhs.id && lhs.sameAST(as: rhs) }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(effect)
    }
}
