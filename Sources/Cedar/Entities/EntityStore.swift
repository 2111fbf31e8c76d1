/// The entities a request is evaluated against, with each entity's ancestors precomputed so
/// that `in` is one set lookup (digest §11.1).
///
/// ```swift
/// let store = try EntityStore(json: #"[{"uid": {"type": "User", "id": "alice"}, "attrs": {}, "parents": []}]"#)
/// ```
public struct EntityStore: Sendable {
    private var entities: [EntityUID: Entity]

    /// An empty store.
    public init() { entities = [:] }

    /// Builds a store, computing the transitive closure of the parent graph.
    ///
    /// - Throws: ``CedarParseError`` with code ``CedarParseError/Code/entities`` when two different
    ///   entities share a uid or the parent graph has a cycle.
    public init(_ list: [Entity]) throws(CedarParseError) {
        var map: [EntityUID: Entity] = [:]
        map.reserveCapacity(list.count)
        for e in list {
            if let existing = map[e.uid] {
                guard existing.sameContent(as: e) else {
                    throw CedarParseError(.entities, "duplicate entity entry `\(e.uid)`")
                }
                continue
            }
            map[e.uid] = e
        }
        entities = map
        try computeAncestors()
    }

    /// Parses entity JSON: an array of `{uid, attrs, parents, tags?}` objects.
    ///
    /// - Throws: ``CedarParseError`` with code ``CedarParseError/Code/entities``.
    public init(json text: String) throws(CedarParseError) {
        let parsed: JSONValue
        switch JSONReader.parse(text) {
        case .success(let v): parsed = v
        case .failure(let f): throw CedarParseError(.entities, f.message)
        }
        try self.init(jsonValue: parsed)
    }

    init(jsonValue: JSONValue) throws(CedarParseError) {
        guard case .array(let items) = jsonValue else {
            throw CedarParseError(.entities, "entities JSON must be an array")
        }
        var list: [Entity] = []
        list.reserveCapacity(items.count)
        do throws(ValueJSON.Failure) {
            for item in items { list.append(try Self.decodeEntity(item)) }
        } catch {
            throw CedarParseError(.entities, error.message)
        }
        try self.init(list)
    }

    private static func decodeEntity(_ json: JSONValue) throws(ValueJSON.Failure) -> Entity {
        guard case .object(let members) = json else { throw ValueJSON.Failure(message: "an entity must be a JSON object") }
        var uid: EntityUID?
        var attrs: [CedarString: CedarValue]?
        var parents: Set<EntityUID>?
        var tags: [CedarString: CedarValue] = [:]
        for m in members {
            switch m.key {
            case "uid": uid = try ValueJSON.decodeUID(m.value)
            case "attrs": attrs = try decodeMap(m.value, "attrs")
            case "tags": tags = try decodeMap(m.value, "tags")
            case "parents":
                guard case .array(let ps) = m.value else { throw ValueJSON.Failure(message: "`parents` must be an array") }
                var set = Set<EntityUID>(minimumCapacity: ps.count)
                for p in ps { set.insert(try ValueJSON.decodeUID(p)) }
                parents = set
            default:
                continue  // the reference ignores unknown fields
            }
        }
        guard let uid else { throw ValueJSON.Failure(message: "an entity needs a `uid`") }
        guard let attrs else { throw ValueJSON.Failure(message: "entity `\(uid)` is missing `attrs`") }
        guard let parents else { throw ValueJSON.Failure(message: "entity `\(uid)` is missing `parents`") }
        return Entity(uid: uid, attributes: attrs, parents: parents, tags: tags)
    }

    private static func decodeMap(_ json: JSONValue, _ field: String) throws(ValueJSON.Failure) -> [CedarString: CedarValue] {
        guard case .object(let members) = json else { throw ValueJSON.Failure(message: "`\(field)` must be an object") }
        var map: [CedarString: CedarValue] = [:]
        map.reserveCapacity(members.count)
        for m in members { map[CedarString(m.key)] = try ValueJSON.decode(m.value) }
        return map
    }

    private mutating func computeAncestors() throws(CedarParseError) {
        enum Mark { case visiting, done }
        var marks: [EntityUID: Mark] = [:]
        marks.reserveCapacity(entities.count)
        var closure: [EntityUID: Set<EntityUID>] = [:]
        closure.reserveCapacity(entities.count)
        // Iterative DFS so deep hierarchies cannot overflow the stack.
        for root in entities.keys where marks[root] == nil {
            var stack: [(EntityUID, [EntityUID], Int)] = [(root, Array(entities[root]?.parents ?? []), 0)]
            marks[root] = .visiting
            while let (node, parents, next) = stack.last {
                if next < parents.count {
                    stack[stack.count - 1].2 += 1
                    let p = parents[next]
                    switch marks[p] {
                    case .visiting: throw CedarParseError(.entities, "input graph has a cycle containing vertex `\(p)`")
                    case .done: continue
                    case nil:
                        marks[p] = .visiting
                        stack.append((p, Array(entities[p]?.parents ?? []), 0))
                    }
                } else {
                    var all = Set(parents)
                    for p in parents { all.formUnion(closure[p] ?? []) }
                    closure[node] = all
                    marks[node] = .done
                    stack.removeLast()
                }
            }
        }
        for (uid, ancestors) in closure where entities[uid] != nil {
            entities[uid]?.ancestors = ancestors
        }
    }

    /// The entity with this uid, if stored.
    public subscript(uid: EntityUID) -> Entity? { entities[uid] }

    /// How many entities are stored.
    public var count: Int { entities.count }

    /// Every stored entity, in no particular order.
    public var all: some Collection<Entity> { entities.values }

    /// Cedar's `in` for two entity references: equal, or `ancestor` is an ancestor of `uid`.
    public func isDescendant(_ uid: EntityUID, of ancestor: EntityUID) -> Bool {
        uid == ancestor || (entities[uid]?.ancestors.contains(ancestor) ?? false)
    }
}
