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

/// For one scope variable: exactly the policies whose constraint on this variable holds for a
/// given entity. A request evaluates only the intersection of the three candidate sets, and
/// evaluates no scope constraint itself: scope constraints never error, so skipping a policy whose
/// scope cannot match changes neither the decision nor the reported errors, and every candidate's
/// scope is known to match.
///
/// Exactness matters: `principal == E` is kept apart from `principal in E` (an entity *below* `E`
/// matches the second only), and `is T in E` is keyed by type and entity together.
struct ScopeIndex: Sendable {
    /// The policies keyed by one entity `E`.
    private struct Buckets: Sendable {
        /// `== E`.
        var equal: PolicyBits?
        /// `in E`: the entity `E` itself or any entity below it.
        var within: PolicyBits?
        /// `is T in E`, per type `T`.
        var typedWithin: [(type: EntityType, bits: PolicyBits)] = []
    }

    private var unconstrained: PolicyBits
    /// `is T`: a short list (a set has few entity types), scanned without hashing the name.
    private var byType: [(type: EntityType, bits: PolicyBits)] = []
    /// Every constraint naming an entity, so a request looks each of its entity's ancestors up once.
    private var byEntity: [EntityUID: Buckets] = [:]
    private let count: Int

    init(count: Int) {
        self.count = count
        unconstrained = PolicyBits(count: count)
    }

    mutating func addUnconstrained(_ i: Int) { unconstrained.insert(i) }

    mutating func add(_ i: Int, type: EntityType) {
        if let k = byType.firstIndex(where: { $0.type == type }) {
            byType[k].bits.insert(i)
        } else {
            var bits = PolicyBits(count: count)
            bits.insert(i)
            byType.append((type, bits))
        }
    }

    mutating func add(_ i: Int, equal entity: EntityUID) {
        let n = count
        byEntity[entity, default: Buckets()].equal.insert(i, count: n)
    }

    mutating func add(_ i: Int, in entity: EntityUID) {
        let n = count
        byEntity[entity, default: Buckets()].within.insert(i, count: n)
    }

    mutating func add(_ i: Int, type: EntityType, in entity: EntityUID) {
        var buckets = byEntity[entity, default: Buckets()]
        if let k = buckets.typedWithin.firstIndex(where: { $0.type == type }) {
            buckets.typedWithin[k].bits.insert(i)
        } else {
            var bits = PolicyBits(count: count)
            bits.insert(i)
            buckets.typedWithin.append((type, bits))
        }
        byEntity[entity] = buckets
    }

    /// Every policy whose constraint on this variable holds for `uid`, whose ancestors (from the
    /// store; `nil` when `uid` is not stored) are given.
    func candidates(for uid: EntityUID, ancestors: Set<EntityUID>?) -> PolicyBits {
        var bits = unconstrained
        for (t, b) in byType where t == uid.type { bits.formUnion(b) }
        if byEntity.isEmpty { return bits }
        if let b = byEntity[uid] {
            if let e = b.equal { bits.formUnion(e) }
            Self.unionWithin(b, uid.type, into: &bits)
        }
        guard let ancestors, !ancestors.isEmpty else { return bits }
        if ancestors.count <= byEntity.count {
            for a in ancestors {
                if let b = byEntity[a] { Self.unionWithin(b, uid.type, into: &bits) }
            }
        } else {
            for (key, b) in byEntity where ancestors.contains(key) { Self.unionWithin(b, uid.type, into: &bits) }
        }
        return bits
    }

    /// The `in E` and `is T in E` policies of `E`'s buckets, for an entity of type `type` that is `E` or below it.
    private static func unionWithin(_ b: Buckets, _ type: EntityType, into bits: inout PolicyBits) {
        if let e = b.within { bits.formUnion(e) }
        for (t, e) in b.typedWithin where t == type { bits.formUnion(e) }
    }
}

extension PolicyBits? {
    /// Inserts `i`, making an empty set of `count` policies first if there is none.
    fileprivate mutating func insert(_ i: Int, count: Int) {
        var bits = self ?? PolicyBits(count: count)
        bits.insert(i)
        self = bits
    }
}
