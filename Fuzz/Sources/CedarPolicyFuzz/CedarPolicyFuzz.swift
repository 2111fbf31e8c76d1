import Cedar
import FuzzSupport

/// Cedar policy text and JSON policy parsers: any input either parses or throws `CedarParseError`; a parsed set
/// must survive formatting and re-parsing (the formatter's output is Cedar the parser accepts).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let set = try? PolicySet(parsing: text) {
        let formatted = PolicyFormatter.format(set)
        do {
            _ = try PolicySet(parsing: formatted)
        } catch {
            fatalError("formatter output does not re-parse: \(error)\n--- input\n\(text)\n--- formatted\n\(formatted)")
        }
    }
    _ = try? PolicySet(json: text)
    return 0
}

@main enum CedarPolicyFuzzMain {
    static func main() { runLibFuzzer(fuzzOne) }
}
