import Foundation
import FuzzSupport
import TesseraProtocol

/// GNAP grant request JSON (RFC 9635 §2) as `POST /gnap` decodes it: decode or throw; what decodes re-encodes
/// and decodes to an equal value. The same bytes go to the SDK's grant-response decoder and `WWW-Authenticate: GNAP`
/// challenge parser.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = Data(UnsafeBufferPointer(start: data, count: size))
    // What the client SDK reads from a (possibly hostile) AS or RS: grant responses and RS-first challenges.
    _ = try? JSONDecoder().decode(GNAPGrantResponse.self, from: body)
    if let challenge = GNAPChallenge(parsing: String(decoding: body, as: UTF8.self)) {
        _ = GNAPChallenge(parsing: challenge.headerValue)
    }
    guard let request = try? JSONDecoder().decode(GNAPGrantRequest.self, from: body) else { return 0 }
    do {
        let encoded = try JSONEncoder().encode(request)
        let again = try JSONDecoder().decode(GNAPGrantRequest.self, from: encoded)
        if again != request { fatalError("GNAP grant request does not round-trip: \(String(decoding: body, as: UTF8.self))") }
    } catch {
        fatalError("re-encoding a decoded GNAP grant request failed: \(error)")
    }
    return 0
}

@main enum GNAPRequestFuzzMain {
    static func main() { runLibFuzzer(fuzzOne) }
}
