import Crypto
import Foundation
import FuzzSupport

@testable import HTTPMessageSignatures

/// The strict RFC 9651 parser behind `Signature-Input`, `Signature`, `Content-Digest` and component identifiers, and
/// the RFC 9421 §4 field pairing and verification on top of it.
///
/// Input: the bytes are parsed as a Dictionary, a List and an Item (whatever parses must serialize and re-parse to the
/// same value, RFC 9651 §4.1); then, split at the first newline, as a `Signature-Input` and a `Signature` field on a
/// request that is verified under the GNAP policy.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    var dictionaryParser = StructuredFieldParser(bytes)
    if let entries = try? dictionaryParser.parseDictionary(allowDuplicateKeys: false) {
        var out: [UInt8] = []
        do {
            try StructuredFieldSerializer.serializeDictionary(entries, into: &out)
        } catch {
            fatalError("a parsed dictionary does not serialize: \(error)")
        }
        var again = StructuredFieldParser(out)
        guard let reparsed = try? again.parseDictionary(allowDuplicateKeys: false), reparsed == entries else {
            fatalError("dictionary round trip failed: \(String(decoding: bytes, as: UTF8.self)) -> \(String(decoding: out, as: UTF8.self))")
        }
    }
    var listParser = StructuredFieldParser(bytes)
    if let members = try? listParser.parseList() {
        var out: [UInt8] = []
        do {
            try StructuredFieldSerializer.serializeList(members, into: &out)
        } catch {
            fatalError("a parsed list does not serialize: \(error)")
        }
        var again = StructuredFieldParser(out)
        guard let reparsed = try? again.parseList(), reparsed == members else {
            fatalError("list round trip failed: \(String(decoding: bytes, as: UTF8.self)) -> \(String(decoding: out, as: UTF8.self))")
        }
    }
    var itemParser = StructuredFieldParser(bytes)
    _ = try? itemParser.parseItem()

    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? HTTPSignatureComponent(parsing: text)

    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    let signatureInput = String(decoding: bytes[..<newline], as: UTF8.self)
    let signature = newline < bytes.endIndex ? String(decoding: bytes[(newline + 1)...], as: UTF8.self) : "sig1=:AAAA:"
    let fields = [
        HTTPSignatureField(name: "content-type", value: "application/json"),
        HTTPSignatureField(name: "signature-input", value: signatureInput),
        HTTPSignatureField(name: "signature", value: signature),
    ]
    guard (try? SignatureFields.parse(fields: fields)) != nil,
        let request = try? HTTPSignatureRequest(
            method: "POST",
            targetURI: "https://as.example/gnap?x=1",
            headerFields: fields,
            body: Array(#"{"access_token":{"access":["read"]}}"#.utf8)
        )
    else { return 0 }
    let verifier = HTTPMessageVerifier(
        policy: .gnap,
        keys: HTTPSignatureKeySet([Harness.key.verificationKey] + (Harness.hmac.map { [$0] } ?? [])),
        now: { Date(timeIntervalSince1970: 1_700_000_000) }
    )
    _ = fuzzBlocking { try await verifier.verify(request) }
    return 0
}

enum Harness {
    static let key = HTTPSigningKey(ed25519: Curve25519.Signing.PrivateKey(), keyID: "client-key")
    static let hmac = try? HTTPVerificationKey(hmacSecret: [UInt8](repeating: 1, count: 32), keyID: "shared")
}

@main enum StructuredFieldsFuzzMain {
    static func main() { runLibFuzzer(fuzzOne) }
}
