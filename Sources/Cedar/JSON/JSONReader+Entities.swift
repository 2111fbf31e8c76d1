/// Entity JSON read straight into entities and Cedar values, without building a `JSONValue`
/// tree first (entity-store construction is on the hot path of every policy decision that
/// loads entities). The semantics are those of ``ValueJSON``: escapes are recognised only
/// when an object has that single key, and an escape of the wrong shape is a record.
extension JSONReader {
    static func parseEntities(_ text: String) -> Result<[Entity], Failure> {
        var reader = JSONReader(bytes: Array(text.utf8))
        do throws(Failure) {
            reader.skipSpace()
            let list = try reader.entityArray()
            reader.skipSpace()
            guard reader.i == reader.bytes.count else { throw reader.fail("unexpected data after the JSON value") }
            return .success(list)
        } catch {
            return .failure(error)
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        skipSpace()
        guard i < bytes.count, bytes[i] == byte else { throw fail("expected \(what)") }
        i += 1
    }

    // `array(_:)` and `object(_:)` are on the recursion of ``cedarValue()`` (once per level of a
    // value): in a debug build a function reserves stack for the locals and temporaries of all its
    // branches, so everything but the loop is in functions of their own.

    /// Reads `[` item, … `]` calling `item` for each element.
    private mutating func array(_ item: (inout JSONReader) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "["), "an array")
        guard !closesAtOnce(UInt8(ascii: "]")) else { return }
        repeat {
            skipSpace()
            try item(&self)
        } while try moreMembers(closing: "]")
    }

    /// Reads `{` "key": value, … `}` calling `member` with each key.
    private mutating func object(_ member: (inout JSONReader, String) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"), "an object")
        depth += 1
        defer { depth -= 1 }
        try checkDepth()
        guard !closesAtOnce(UInt8(ascii: "}")) else { return }
        repeat {
            let key = try objectKey()
            try member(&self, key)
        } while try moreMembers(closing: "}")
    }

    /// Refuses a document nested deeper than ``JSONReader/maxDepth``.
    private func checkDepth() throws(Failure) {
        guard depth <= Self.maxDepth else { throw fail("nesting too deep") }
    }

    /// Whether the container just opened closes at once (`[]`, `{}`), consuming the bracket.
    /// - Parameter closing: `]` or `}`.
    /// - Returns: whether it was empty.
    private mutating func closesAtOnce(_ closing: UInt8) -> Bool {
        skipSpace()
        guard i < bytes.count, bytes[i] == closing else { return false }
        i += 1
        return true
    }

    /// A member's key and the `:` after it.
    private mutating func objectKey() throws(Failure) -> String {
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
        let key = try string()
        try expect(UInt8(ascii: ":"), "`:`")
        skipSpace()
        return key
    }

    private mutating func entityArray() throws(Failure) -> [Entity] {
        var list: [Entity] = []
        try array { (r: inout JSONReader) throws(Failure) in list.append(try r.entity()) }
        return list
    }

    private static func wrap<T>(_ body: () throws(ValueJSON.Failure) -> T) throws(Failure) -> T {
        do throws(ValueJSON.Failure) {
            return try body()
        } catch {
            throw Failure(message: error.message)
        }
    }

    private mutating func entity() throws(Failure) -> Entity {
        var uid: EntityUID?
        var attrs: [CedarString: CedarValue]?
        var parents: Set<EntityUID>?
        var tags: [CedarString: CedarValue]?
        var seen: [String] = []
        try object { (r: inout JSONReader, key: String) throws(Failure) in
            guard !seen.contains(key) else { throw r.fail("duplicate key `\(key)`") }
            seen.append(key)
            switch key {
            case "uid":
                let json = try r.value()
                uid = try Self.wrap { () throws(ValueJSON.Failure) in try ValueJSON.decodeUID(json) }
            case "attrs": attrs = try r.record()
            case "tags": tags = try r.record()
            case "parents":
                var set = Set<EntityUID>()
                try r.array { (r: inout JSONReader) throws(Failure) in
                    let json = try r.value()
                    set.insert(try Self.wrap { () throws(ValueJSON.Failure) in try ValueJSON.decodeUID(json) })
                }
                parents = set
            default:
                _ = try r.value()  // the reference ignores unknown fields
            }
        }
        guard let uid else { throw Failure(message: "an entity needs a `uid`") }
        guard let attrs else { throw Failure(message: "entity `\(uid)` is missing `attrs`") }
        guard let parents else { throw Failure(message: "entity `\(uid)` is missing `parents`") }
        return Entity(uid: uid, attributes: attrs, parents: parents, tags: tags ?? [:])
    }

    /// `attrs` and `tags`: a map from names to values. Unlike a value, the map itself is never
    /// an escape (`"attrs": {"__entity": …}` is an attribute named `__entity`), as in the reference.
    private mutating func record() throws(Failure) -> [CedarString: CedarValue] {
        var map: [CedarString: CedarValue] = [:]
        try object { (r: inout JSONReader, key: String) throws(Failure) in
            guard map.updateValue(try r.cedarValue(), forKey: CedarString(key)) == nil else {
                throw r.fail("duplicate key `\(key)`")
            }
        }
        return map
    }

    /// One value in Cedar's JSON value format.
    ///
    /// This recurses once per level of the value: ``cedarRecord()`` or ``cedarSet()``, then
    /// ``object(_:)`` or ``array(_:)`` and the member's closure. Each case has a function of its own,
    /// as in a debug build a function reserves stack for the locals of all its cases: a level took
    /// 3,792 bytes when this one function held them all (128 levels, the most entity and request
    /// JSON may nest, then needed more than 480 KiB of a 512 KiB thread).
    mutating func cedarValue() throws(Failure) -> CedarValue {
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try cedarRecord()
        case UInt8(ascii: "["): return try cedarSet()
        default: return try cedarScalar()
        }
    }

    /// A record read so far: its fields, the escapes (`__entity`, `__extn`, `__expr`) among its
    /// keys, and how many members it has.
    struct RecordFields {
        var record: [CedarString: CedarValue] = [:]
        var escapes: [JSONMember] = []
        var count = 0
    }

    private mutating func cedarRecord() throws(Failure) -> CedarValue {
        var fields = RecordFields()
        try object { (r: inout JSONReader, key: String) throws(Failure) in try r.recordMember(key, into: &fields) }
        return try Self.finish(fields)
    }

    private mutating func recordMember(_ key: String, into fields: inout RecordFields) throws(Failure) {
        fields.count += 1
        if key == "__entity" || key == "__extn" || key == "__expr" { return try escapeMember(key, into: &fields) }
        let value = try cedarValue()
        guard fields.record.updateValue(value, forKey: CedarString(key)) == nil else { throw duplicate(key) }
    }

    private mutating func escapeMember(_ key: String, into fields: inout RecordFields) throws(Failure) {
        guard !fields.escapes.contains(where: { $0.key == key }) else { throw duplicate(key) }
        fields.escapes.append(JSONMember(key: key, value: try value()))
    }

    private func duplicate(_ key: String) -> Failure { fail("duplicate key `\(key)`") }

    /// The value of a record just read: the escape when it is the only member, else the record with
    /// its escape-named members decoded as values (as ``ValueJSON`` does).
    private static func finish(_ fields: RecordFields) throws(Failure) -> CedarValue {
        if fields.count == 1, let escape = fields.escapes.first {
            return try wrap { () throws(ValueJSON.Failure) in try ValueJSON.decode(.object([escape])) }
        }
        var record = fields.record
        for escape in fields.escapes {
            record[CedarString(escape.key)] = try wrap { () throws(ValueJSON.Failure) in try ValueJSON.decode(escape.value) }
        }
        return .record(record)
    }

    private mutating func cedarSet() throws(Failure) -> CedarValue {
        depth += 1
        defer { depth -= 1 }
        try checkDepth()
        var set = Set<CedarValue>()
        try array { (r: inout JSONReader) throws(Failure) in try r.setElement(into: &set) }
        return .set(set)
    }

    private mutating func setElement(into set: inout Set<CedarValue>) throws(Failure) {
        set.insert(try cedarValue())
    }

    private mutating func cedarScalar() throws(Failure) -> CedarValue {
        if bytes[i] == UInt8(ascii: "\"") { return .string(CedarString(try string())) }
        let json = try value()
        return try Self.wrap { () throws(ValueJSON.Failure) in try ValueJSON.decode(json) }
    }
}
