/// An entity: its reference, attributes, parents and tags, plus its ancestors once stored.
public struct Entity: Sendable, Hashable {
    /// The entity's reference.
    public let uid: EntityUID
    /// Attribute values.
    public let attributes: [CedarString: CedarValue]
    /// Direct parents.
    public let parents: Set<EntityUID>
    /// Tag values (language 4.1).
    public let tags: [CedarString: CedarValue]
    /// Every ancestor (transitive closure of ``parents``), computed by ``EntityStore``.
    public internal(set) var ancestors: Set<EntityUID>

    /// Creates an entity; ``EntityStore`` computes its ancestors.
    public init(
        uid: EntityUID,
        attributes: [CedarString: CedarValue] = [:],
        parents: Set<EntityUID> = [],
        tags: [CedarString: CedarValue] = [:]
    ) {
        self.uid = uid
        self.attributes = attributes
        self.parents = parents
        self.tags = tags
        self.ancestors = parents
    }

    func sameContent(as other: Entity) -> Bool {
        uid == other.uid && attributes == other.attributes && parents == other.parents && tags == other.tags
    }
}
