/// A parsed JSON document. Objects keep their members in order (for EST output and so that
/// duplicate keys can be rejected, as the reference does).
indirect enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's text as written.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    var objectMembers: [JSONMember]? {
        if case .object(let m) = self { return m }
        return nil
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { JSONMember(key: $0.key, value: $0.value) })
    }
}

struct JSONMember: Sendable, Hashable {
    var key: String
    var value: JSONValue
}

extension JSONValue {
    /// Frees `value` with constant stack, whatever its depth: the caller gives up its reference
    /// (`dismantle(consume doc)`), and each container is released only after its children are held
    /// by an explicit stack, so no release recurses into the next level. Freeing a JSON policy
    /// document of a flat `&&` chain (nested one JSON level per operand, as the reference writes it)
    /// otherwise recursed about 260 bytes per level, and 2,000 levels overflowed a 512 KiB thread.
    /// - Parameter value: the document, no longer used by the caller.
    static func dismantle(_ value: consuming JSONValue) {
        var pending: [JSONValue] = [consume value]
        while let next = pending.popLast() {
            switch next {
            case .array(let items): pending.append(contentsOf: items)
            case .object(let members): pending.append(contentsOf: members.map(\.value))
            case .null, .bool, .number, .string: break
            }
        }
    }
}
