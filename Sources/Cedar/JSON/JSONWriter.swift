/// Writes JSON text.
enum JSONWriter {
    static func write(_ value: JSONValue, pretty: Bool = false, sortKeys: Bool = false) -> String {
        var out = ""
        write(value, into: &out, indent: pretty ? 0 : nil, sortKeys: sortKeys)
        return out
    }

    private static func write(_ value: JSONValue, into out: inout String, indent: Int?, sortKeys: Bool) {
        let newline = indent.map { "\n" + String(repeating: "  ", count: $0 + 1) } ?? ""
        let close = indent.map { "\n" + String(repeating: "  ", count: $0) } ?? ""
        let inner = indent.map { $0 + 1 }
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): quote(s, into: &out)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (n, item) in items.enumerated() {
                if n > 0 { out += "," }
                out += newline
                write(item, into: &out, indent: inner, sortKeys: sortKeys)
            }
            out += close + "]"
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            let ordered = sortKeys ? members.sorted { CedarString($0.key) < CedarString($1.key) } : members
            out += "{"
            for (n, m) in ordered.enumerated() {
                if n > 0 { out += "," }
                out += newline
                quote(m.key, into: &out)
                out += indent == nil ? ":" : ": "
                write(m.value, into: &out, indent: inner, sortKeys: sortKeys)
            }
            out += close + "}"
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
