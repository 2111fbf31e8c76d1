/// Writes JSON text.
enum JSONWriter {
    static func write(_ value: JSONValue, pretty: Bool = false, sortKeys: Bool = false) -> String {
        var out = ""
        write(value, into: &out, indent: pretty ? 0 : nil, sortKeys: sortKeys)
        return out
    }

    /// What is left to write: a value at an indentation, or literal text (separators, keys,
    /// closing brackets).
    private enum Work {
        case value(JSONValue, Int?)
        case text(String)
    }

    /// Iterative (an explicit stack of work), so a document of any depth is written with constant
    /// stack: the JSON policy format nests `&&` one level per operand of a chain, and a flat chain
    /// may have thousands.
    private static func write(_ value: JSONValue, into out: inout String, indent: Int?, sortKeys: Bool) {
        var pending: [Work] = [.value(value, indent)]
        while let work = pending.popLast() {
            switch work {
            case .text(let t): out += t
            case .value(let v, let indent): write(v, into: &out, indent: indent, sortKeys: sortKeys, then: &pending)
            }
        }
    }

    /// Writes a scalar, or the opening of a container and queues its contents.
    private static func write(_ value: JSONValue, into out: inout String, indent: Int?, sortKeys: Bool, then pending: inout [Work]) {
        let newline = indent.map { "\n" + String(repeating: "  ", count: $0 + 1) } ?? ""
        let close = indent.map { "\n" + String(repeating: "  ", count: $0) } ?? ""
        let inner = indent.map { $0 + 1 }
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): quote(s, into: &out)
        case .array(let items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "["
            pending.append(.text(close + "]"))
            for (n, item) in items.enumerated().reversed() {
                pending.append(.value(item, inner))
                pending.append(.text((n > 0 ? "," : "") + newline))
            }
        case .object(let members):
            guard !members.isEmpty else {
                out += "{}"
                return
            }
            let ordered = sortKeys ? members.sorted { CedarString($0.key) < CedarString($1.key) } : members
            out += "{"
            pending.append(.text(close + "}"))
            for (n, m) in ordered.enumerated().reversed() {
                pending.append(.value(m.value, inner))
                var key = (n > 0 ? "," : "") + newline
                quote(m.key, into: &key)
                pending.append(.text(key + (indent == nil ? ":" : ": ")))
            }
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 {
                    let h = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }
}
