/// The nesting limit of entity and context JSON, measured without recursion before the
/// recursive readers run.
///
/// The readers of entity JSON (``JSONReader/parseEntities(_:)``, ``ValueJSON``, the schema's
/// value reader) and the consumers of the values they build (hashing, equality, evaluation)
/// recurse once per level. At the JSON reader's 256 levels they needed a 1 MiB stack in a debug
/// build; at 128 (serde_json's limit under the reference, which refuses the 128th level) they
/// run on the 512 KiB of a secondary thread.
extension JSONReader {
    /// The deepest entity or request JSON document accepted: each `[` or `{` open at once counts
    /// one, the document's own brackets included.
    static let maximumDataDepth = 128

    /// How deep `bytes` nests: the most `[` and `{` open at once, outside strings. A loop, so any
    /// input is measured on a small stack; malformed JSON is measured as far as it goes (the
    /// reader reports its syntax error afterwards).
    /// - Parameter bytes: the UTF-8 text.
    /// - Returns: the nesting depth.
    static func nestingDepth(of bytes: some Sequence<UInt8>) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            default: break
            }
        }
        return deepest
    }

    /// Refuses entity or request JSON nested deeper than ``maximumDataDepth``.
    /// - Parameter text: the JSON document.
    /// - Throws: a ``Failure`` naming the depth and the limit.
    static func checkDataDepth(_ text: String) throws(Failure) {
        let depth = nestingDepth(of: text.utf8)
        guard depth <= maximumDataDepth else {
            throw Failure(
                message: "nesting too deep: the JSON nests \(depth) levels deep; at most \(maximumDataDepth) are accepted"
                    + " for entity and request data"
            )
        }
    }
}
