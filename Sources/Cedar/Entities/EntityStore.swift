/// The entities a request is evaluated against, with each entity's ancestors precomputed so
/// that `in` is one set lookup (digest §11.1).
///
/// ```swift
/// let store = try EntityStore(json: #"[{"uid": {"type": "User", "id": "alice"}, "attrs": {}, "parents": []}]"#)
/// ```
public struct EntityStore: Sendable {
    private var entities: [Entity]
    private var index: [EntityUID: Int]

    /// An empty store.
    public init() {
        entities = []
        index = [:]
    }

    /// Builds a store, computing the transitive closure of the parent graph.
    ///
    /// - Throws: ``CedarParseError`` with code ``CedarParseError/Code/entities`` when two different
    ///   entities share a uid or the parent graph has a cycle.
    public init(_ list: [Entity]) throws(CedarParseError) {
        entities = []
        entities.reserveCapacity(list.count)
        index = [:]
        index.reserveCapacity(list.count)
        for e in list {
            if let existing = index[e.uid] {
                guard entities[existing].sameContent(as: e) else {
                    throw CedarParseError(.entities, "duplicate entity entry `\(e.uid)`")
                }
                continue
            }
            index[e.uid] = entities.count
            entities.append(e)
        }
        try computeAncestors()
    }

    /// Parses entity JSON: an array of `{uid, attrs, parents, tags?}` objects.
    ///
    /// - Throws: ``CedarParseError`` with code ``CedarParseError/Code/entities``.
    public init(json text: String) throws(CedarParseError) {
        do throws(JSONReader.Failure) {
            try JSONReader.checkDataDepth(text)
        } catch {
            throw CedarParseError(.entities, error.message)
        }
        switch JSONReader.parseEntities(text) {
        case .success(let list): try self.init(list)
        case .failure(let f): throw CedarParseError(.entities, f.message)
        }
    }

    /// Transitive closure of the parent graph over integer node ids (iterative DFS, so deep
    /// hierarchies cannot overflow the stack); a cycle is an error, as in the reference.
    private mutating func computeAncestors() throws(CedarParseError) {
        let storedCount = entities.count
        var uids: [EntityUID] = entities.map(\.uid)
        var nodes = index
        var parents: [[Int]] = []
        parents.reserveCapacity(storedCount)
        for i in 0..<storedCount {
            var list: [Int] = []
            list.reserveCapacity(entities[i].parents.count)
            for p in entities[i].parents {
                if let j = nodes[p] {
                    list.append(j)
                } else {
                    nodes[p] = uids.count
                    list.append(uids.count)
                    uids.append(p)
                }
            }
            parents.append(list)
        }
        while parents.count < uids.count { parents.append([]) }
        // 0 = unvisited, 1 = on the DFS stack, 2 = done.
        var state = [UInt8](repeating: 0, count: uids.count)
        var closure = [[Int]](repeating: [], count: uids.count)
        var stack: [(node: Int, next: Int)] = []
        for root in 0..<storedCount where state[root] == 0 {
            state[root] = 1
            stack.append((root, 0))
            while let top = stack.last {
                let ps = parents[top.node]
                if top.next < ps.count {
                    stack[stack.count - 1].next += 1
                    let p = ps[top.next]
                    switch state[p] {
                    case 1: throw CedarParseError(.entities, "input graph has a cycle containing vertex `\(uids[p])`")
                    case 2: continue
                    default:
                        state[p] = 1
                        stack.append((p, 0))
                    }
                } else {
                    var all = ps
                    for p in ps { all += closure[p] }
                    if ps.count > 1 || all.count != Set(all).count { all = Array(Set(all)) }
                    closure[top.node] = all
                    state[top.node] = 2
                    stack.removeLast()
                }
            }
        }
        for i in 0..<storedCount where !closure[i].isEmpty {
            entities[i].ancestors = Set(closure[i].map { uids[$0] })
        }
    }

    /// The entity with this uid, if stored.
    public subscript(uid: EntityUID) -> Entity? { index[uid].map { entities[$0] } }

    /// Where a stored entity is, for the reads below (one lookup, then none per read).
    func slot(of uid: EntityUID) -> Int? { index[uid] }

    /// Attribute `key` of the entity at `slot`, read in place.
    func attribute(at slot: Int, _ key: CedarString) -> CedarValue? { entities[slot].attributes[key] }

    /// Tag `key` of the entity at `slot`, read in place.
    func tag(at slot: Int, _ key: CedarString) -> CedarValue? { entities[slot].tags[key] }

    /// Whether `target` is an ancestor of the entity at `slot`.
    func hasAncestor(at slot: Int, _ target: EntityUID) -> Bool { entities[slot].ancestors.contains(target) }

    /// The ancestors of the entity at `slot`.
    func ancestors(at slot: Int) -> Set<EntityUID> { entities[slot].ancestors }

    /// The attributes of a stored entity (no copy of the whole entity).
    func attributes(of uid: EntityUID) -> [CedarString: CedarValue]? { index[uid].map { entities[$0].attributes } }

    /// The tags of a stored entity.
    func tags(of uid: EntityUID) -> [CedarString: CedarValue]? { index[uid].map { entities[$0].tags } }

    /// The ancestors of a stored entity.
    func ancestors(of uid: EntityUID) -> Set<EntityUID>? { index[uid].map { entities[$0].ancestors } }

    /// How many entities are stored.
    public var count: Int { entities.count }

    /// Every stored entity, in no particular order.
    public var all: [Entity] { entities }

    /// Cedar's `in` for two entity references: equal, or `ancestor` is an ancestor of `uid`.
    public func isDescendant(_ uid: EntityUID, of ancestor: EntityUID) -> Bool {
        guard uid != ancestor else { return true }
        guard let i = index[uid] else { return false }
        return entities[i].ancestors.contains(ancestor)
    }
}
