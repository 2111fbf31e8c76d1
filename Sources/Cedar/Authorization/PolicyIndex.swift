/// A fixed-size set of policy indices.
struct PolicyBits: Sendable {
    var words: [UInt64]

    init(count: Int) { words = Array(repeating: 0, count: (count + 63) / 64) }

    mutating func insert(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }

    mutating func formUnion(_ other: PolicyBits) {
        for i in words.indices { words[i] |= other.words[i] }
    }

    mutating func formIntersection(_ other: PolicyBits) {
        for i in words.indices { words[i] &= other.words[i] }
    }

    struct Iterator: IteratorProtocol {
        let words: [UInt64]
        var wordIndex = 0
        var current: UInt64

        init(words: [UInt64]) {
            self.words = words
            current = words.first ?? 0
        }

        mutating func next() -> Int? {
            while current == 0 {
                wordIndex += 1
                guard wordIndex < words.count else { return nil }
                current = words[wordIndex]
            }
            let bit = current.trailingZeroBitCount
            current &= current - 1
            return wordIndex << 6 | bit
        }
    }
}

extension PolicyBits: Sequence {
    func makeIterator() -> Iterator { Iterator(words: words) }
}

/// For one scope variable: which policies can match a given entity. A request evaluates only
/// the intersection of the three candidate sets; scope constraints never error, so skipping a
/// policy whose scope cannot match changes neither the decision nor the reported errors.
struct ScopeIndex: Sendable {
    private var unconstrained: PolicyBits
    private var byType: [EntityType: PolicyBits] = [:]
    private var byEntity: [EntityUID: PolicyBits] = [:]
    private let count: Int

    init(count: Int) {
        self.count = count
        unconstrained = PolicyBits(count: count)
    }

    mutating func addUnconstrained(_ i: Int) { unconstrained.insert(i) }

    mutating func add(_ i: Int, type: EntityType) {
        byType[type, default: PolicyBits(count: count)].insert(i)
    }

    mutating func add(_ i: Int, entity: EntityUID) {
        byEntity[entity, default: PolicyBits(count: count)].insert(i)
    }

    /// Every policy whose constraint on this variable may hold for `uid`.
    func candidates(for uid: EntityUID, in store: EntityStore) -> PolicyBits {
        var bits = unconstrained
        if let t = byType[uid.type] { bits.formUnion(t) }
        if byEntity.isEmpty { return bits }
        if let e = byEntity[uid] { bits.formUnion(e) }
        if let ancestors = store.ancestors(of: uid) {
            if ancestors.count <= byEntity.count {
                for a in ancestors {
                    if let e = byEntity[a] { bits.formUnion(e) }
                }
            } else {
                for (key, e) in byEntity where ancestors.contains(key) { bits.formUnion(e) }
            }
        }
        return bits
    }
}
