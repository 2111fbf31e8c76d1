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

    /// Reads `[` item, … `]` calling `item` for each element.
    private mutating func array(_ item: (inout JSONReader) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "["), "an array")
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return
        }
        while true {
            skipSpace()
            try item(&self)
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end of input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected `,` or `]`") }
            i += 1
            return
        }
    }

    /// Reads `{` "key": value, … `}` calling `member` with each key.
    private mutating func object(_ member: (inout JSONReader, String) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"), "an object")
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw fail("nesting too deep") }
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return
        }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try string()
            try expect(UInt8(ascii: ":"), "`:`")
            skipSpace()
            try member(&self, key)
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end of input") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected `,` or `}`") }
            i += 1
            return
        }
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
    mutating func cedarValue() throws(Failure) -> CedarValue {
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            var record: [CedarString: CedarValue] = [:]
            var escapes: [JSONMember] = []
            var count = 0
            try object { (r: inout JSONReader, key: String) throws(Failure) in
                count += 1
                if key == "__entity" || key == "__extn" || key == "__expr" {
                    guard !escapes.contains(where: { $0.key == key }) else { throw r.fail("duplicate key `\(key)`") }
                    escapes.append(JSONMember(key: key, value: try r.value()))
                    return
                }
                guard record.updateValue(try r.cedarValue(), forKey: CedarString(key)) == nil else {
                    throw r.fail("duplicate key `\(key)`")
                }
            }
            if count == 1, let escape = escapes.first {
                return try Self.wrap { () throws(ValueJSON.Failure) in try ValueJSON.decode(.object([escape])) }
            }
            for escape in escapes {
                record[CedarString(escape.key)] = try Self.wrap { () throws(ValueJSON.Failure) in try ValueJSON.decode(escape.value) }
            }
            return .record(record)
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { throw fail("nesting too deep") }
            var set = Set<CedarValue>()
            try array { (r: inout JSONReader) throws(Failure) in set.insert(try r.cedarValue()) }
            return .set(set)
        case UInt8(ascii: "\""):
            return .string(CedarString(try string()))
        default:
            let json = try value()
            return try Self.wrap { () throws(ValueJSON.Failure) in try ValueJSON.decode(json) }
        }
    }
}
