import FuzzSupport
import TesseraProtocol

/// The strict `application/x-www-form-urlencoded` decoder (every OAuth endpoint's body): parse or throw
/// `OAuthError`; whatever parses re-encodes to a body that decodes to the same parameters.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let parameters = try? FormParameters(parsing: bytes) else { return 0 }
    for name in ["grant_type", "client_id", "scope", "resource", "token"] {
        for value in parameters.all(name) {
            let encoded = Array("\(FormParameters.encode(name))=\(FormParameters.encode(value))".utf8)
            guard let again = try? FormParameters(parsing: encoded), again.all(name) == [value] else {
                fatalError("form round trip failed for \(name)=\(FormParameters.printableValue(value))")
            }
        }
    }
    _ = try? FormParameters.decodeComponent(String(decoding: bytes, as: UTF8.self))
    if let scope = parameters["scope"], let parsed = try? Scope(parsing: scope) {
        guard (try? Scope(parsing: parsed.description)) == parsed else { fatalError("scope round trip failed") }
    }
    return 0
}

@main enum FormFuzzMain {
    static func main() { runLibFuzzer(fuzzOne) }
}
