import Cedar
import FuzzSupport

/// Cedar entity JSON loader and authorization-request JSON: parse or throw, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let store = try? EntityStore(json: text) {
        _ = store.isDescendant(EntityUID("User", "alice"), of: EntityUID("Group", "admins"))
    }
    _ = try? AuthorizationRequest(json: text)
    return 0
}

@main enum CedarEntitiesFuzzMain {
    static func main() { runLibFuzzer(fuzzOne) }
}
