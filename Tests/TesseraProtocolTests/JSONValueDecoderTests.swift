import Foundation
import Testing

@testable import TesseraProtocol

/// ``JSONValueDecoder`` and ``SortedJSONEncoder`` (issue 22: the GNAP grant request, its stored copy and the
/// client key) against `JSONDecoder` and `JSONEncoder`, which they replace on the grant path: the same value or the
/// same kind of refusal at the same coding path, on GNAP requests and on every mutation of their members; the one
/// difference on purpose is that a member name repeated in one object is refused.
@Suite struct JSONValueDecoderTests {
    static let key =
        #"{"proof":"httpsig","jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1","alg":"EdDSA"}}"#

    /// Grant requests covering every member form the grant endpoint takes (RFC 9635 §2).
    static let requests: [String] = [
        // The benchmark's request: two labelled key-bound tokens, a client by value.
        #"{"access_token":[{"access":[{"actions":["read"],"type":"bench-api"}],"label":"read"},{"access":[{"actions":["write"],"type":"bench-api"}],"label":"write"}],"client":{"display":{"name":"tessera-load"},"key":\#(key)}}"#,
        #"{"access_token":{"access":["photo-read",{"type":"photo-api","actions":["read","write"],"locations":["https://server.example.net/"],"datatypes":["metadata","images"],"identifier":"album-7","privileges":["admin"],"geolocation":[{"lat":-32.364,"lng":153.207},{"lat":-35.364,"lng":158.207}],"depth":3,"shared":true,"note":null}],"flags":["bearer"]},"client":"instance-7"}"#,
        #"{"access_token":{"access":["a"]},"subject":{"sub_id_formats":["opaque","iss_sub"],"assertion_formats":["id_token"],"sub_ids":[{"format":"opaque","id":"J2G8G8O4AZ"}]},"user":{"sub_ids":[{"format":"email","email":"user@example.com"}],"assertions":[{"format":"id_token","value":"eyJ..."}]},"client":{"key":\#(key),"class_id":"web","display":{"name":"My Client","uri":"https://example.net/client","logo_uri":"https://example.net/logo.png"}},"interact":{"start":["redirect",{"mode":"user_code"}],"finish":{"method":"redirect","uri":"https://client.example.net/return/123455","nonce":"LKLTI25DK82FX4T4QFZC","hash_method":"sha-256"},"hints":{"ui_locales":["en-US","fr-CA"]}}}"#,
        #"{"interact_ref":"4IFWWIKYBC2PQ6U56NL1"}"#,
        #"{"access_token":{"access":["a"]},"user":"XUT2MFM1XBIKJKSDU8QM","client":{"key":{"proof":"mtls","cert#S256":"bwcESw2wsXe5hVn1CMJM4oa8EXpo5gNZEh0WUv23jUg"}}}"#,
        #"{"existing_access_token":"eyJhbGciOiJFUzI1NiJ9.e30.sig","access_token":{"access":[{"type":"downstream","actions":["read"]}]},"client":{"key":\#(key)}}"#,
        #"{"access_token":{"access":[{"type":"x","actions":["read"],"limits":{"max":1e3,"min":-0.5,"list":[1,2.5,"three",false,null,{"deep":[[]]}]}}]},"client":{"key":\#(key)}}"#,
        #"{}"#,
    ]

    enum Outcome: Equatable {
        case value(GNAPGrantRequest)
        case keyNotFound(String, String)
        case typeMismatch(String)
        case valueNotFound(String)
        case dataCorrupted
        case other

        init(_ decode: () throws -> GNAPGrantRequest) {
            do {
                self = .value(try decode())
            } catch DecodingError.keyNotFound(let key, let context) {
                self = .keyNotFound(key.stringValue, Self.path(context))
            } catch DecodingError.typeMismatch(_, let context) {
                self = .typeMismatch(Self.path(context))
            } catch DecodingError.valueNotFound(_, let context) {
                self = .valueNotFound(Self.path(context))
            } catch DecodingError.dataCorrupted {
                self = .dataCorrupted
            } catch {
                self = .other
            }
        }

        var isValue: Bool {
            if case .value = self { return true }
            return false
        }

        static func path(_ context: DecodingError.Context) -> String { context.codingPath.map(\.stringValue).joined(separator: ".") }
    }

    /// `fast`: ``JSONValueDecoder``, or the hand-written reader when the two disagree (so either failing shows).
    static func outcomes(_ text: String) -> (reference: Outcome, fast: Outcome) {
        let bytes = Array(text.utf8)
        let reference = Outcome { try JSONDecoder().decode(GNAPGrantRequest.self, from: Data(bytes)) }
        let generic = Outcome { try JSONValueDecoder().decode(GNAPGrantRequest.self, from: bytes) }
        let byHand = Outcome { try GNAPGrantRequest.read(json: bytes) }
        return (reference, generic == reference ? byHand : generic)
    }

    @Test(arguments: requests)
    func decodesWhatJSONDecoderDecodes(_ text: String) throws {
        let (reference, fast) = Self.outcomes(text)
        guard case .value = reference else {
            Issue.record("the corpus request does not decode: \(reference)")
            return
        }
        #expect(fast == reference)
    }

    /// Every member value of every corpus request replaced in turn by each JSON kind, and every member removed: the
    /// two decoders agree on the value, or refuse with the same kind of error at the same path.
    @Test func agreesWithJSONDecoderOnEveryMutation() throws {
        let replacements: [JSONValue] = [
            .null, .bool(true), .number(7), .number(2.5), .string("s"), .array([]), .array([.string("x")]), .object([:]),
        ]
        var compared = 0
        for text in Self.requests {
            guard let document = JSONValue.parse(Data(text.utf8)) else {
                Issue.record("not JSON: \(text)")
                continue
            }
            for mutated in Self.mutations(of: document, replacements: replacements) {
                var out = JSONOutput()
                try out.value(mutated)
                let (reference, fast) = Self.outcomes(String(decoding: out.bytes, as: UTF8.self))
                // Where JSONDecoder itself reports a data error, only agreement on refusing is asked.
                if case .dataCorrupted = reference {
                    #expect(!fast.isValue, "\(String(decoding: out.bytes, as: UTF8.self))")
                } else {
                    #expect(fast == reference, "\(String(decoding: out.bytes, as: UTF8.self))")
                }
                compared += 1
            }
        }
        #expect(compared > 500)
    }

    /// Each document made by replacing one value (at any depth) with each replacement, or removing one member.
    static func mutations(of value: JSONValue, replacements: [JSONValue]) -> [JSONValue] {
        var results = replacements.filter { $0 != value }
        switch value {
        case .object(let members):
            for (name, member) in members {
                var without = members
                without[name] = nil
                results.append(.object(without))
                for replaced in mutations(of: member, replacements: replacements) {
                    var changed = members
                    changed[name] = replaced
                    results.append(.object(changed))
                }
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                for replaced in mutations(of: element, replacements: replacements) {
                    var changed = elements
                    changed[index] = replaced
                    results.append(.array(changed))
                }
            }
        default: break
        }
        return results
    }

    @Test func aRepeatedMemberNameIsRefusedWhereJSONDecoderKeptTheFirst() throws {
        let text = #"{"client":"instance-a","client":"instance-b","access_token":{"access":["a"]}}"#
        let (reference, fast) = Self.outcomes(text)
        #expect(
            reference
                == .value(
                    GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference("a")])), client: .instance("instance-a"))
                )
        )
        #expect(fast == .dataCorrupted)
        let nested = #"{"access_token":{"access":[{"type":"a","type":"b"}]}}"#
        #expect(Self.outcomes(nested).fast == .dataCorrupted)
    }

    @Test func integersOutsideTheTypeOrNotWholeAreRefused() throws {
        struct Counted: Decodable, Equatable { var count: Int; var small: UInt8? }
        let decoder = JSONValueDecoder()
        #expect(try decoder.decode(Counted.self, from: Array(#"{"count":12,"small":255}"#.utf8)) == Counted(count: 12, small: 255))
        #expect(try decoder.decode(Counted.self, from: Array(#"{"count":1e3}"#.utf8)) == Counted(count: 1000, small: nil))
        #expect(throws: DecodingError.self) { try decoder.decode(Counted.self, from: Array(#"{"count":1.5}"#.utf8)) }
        #expect(throws: DecodingError.self) { try decoder.decode(Counted.self, from: Array(#"{"count":1,"small":256}"#.utf8)) }
        #expect(throws: DecodingError.self) { try decoder.decode(Counted.self, from: Array(#"{"count":"1"}"#.utf8)) }
        #expect(throws: DecodingError.self) { try decoder.decode(Counted.self, from: Array(#"{"count":1e300}"#.utf8)) }
    }

    /// The encoder's output means what `JSONEncoder`'s means, decodes back to the value, and lists members sorted.
    @Test(arguments: requests)
    func encodesWhatJSONEncoderEncodes(_ text: String) throws {
        let request = try JSONDecoder().decode(GNAPGrantRequest.self, from: Data(text.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let reference = try encoder.encode(request)
        let fast = try SortedJSONEncoder().encode(request)
        #expect(JSONValue.parse(Data(fast)) == JSONValue.parse(reference))
        #expect(try JSONDecoder().decode(GNAPGrantRequest.self, from: Data(fast)) == request)
        #expect(String(decoding: fast, as: UTF8.self) == String(decoding: reference, as: UTF8.self))
    }

    /// The hand-written output (the stored request and key, GNAPGrantRequest+JSON.swift) means what `JSONEncoder`'s
    /// does and reads back, through both readers, to the value written.
    @Test(arguments: requests)
    func writesByHandWhatJSONEncoderEncodes(_ text: String) throws {
        let request = try JSONDecoder().decode(GNAPGrantRequest.self, from: Data(text.utf8))
        let written = try request.jsonBytes()
        #expect(JSONValue.parse(Data(written)) == JSONValue.parse(try JSONEncoder().encode(request)))
        #expect(try GNAPGrantRequest.read(json: written) == request)
        #expect(try JSONDecoder().decode(GNAPGrantRequest.self, from: Data(written)) == request)
        // The same request is the same text, whichever dictionaries hold its members (a digest may be taken of it).
        #expect(try GNAPGrantRequest.read(json: Array(text.utf8)).jsonBytes() == written)
        #expect(try JSONValueDecoder().decode(GNAPGrantRequest.self, from: written).jsonBytes() == written)
        if case .value(let client) = request.client {
            let key = try client.key.jsonBytes()
            #expect(JSONValue.parse(Data(key)) == JSONValue.parse(try JSONEncoder().encode(client.key)))
            #expect(try GNAPKey.read(json: key) == client.key)
        }
    }

    @Test func readsKeysAsJSONDecoderDoes() throws {
        let keys = [
            Self.key,
            #"{"proof":{"method":"httpsig","alg":"ecdsa-p256-sha256","content-digest-alg":"sha-256"},"jwk":{"kty":"EC","crv":"P-256","x":"a","y":"b","kid":"k","alg":"ES256","use":"sig"}}"#,
            #"{"proof":"mtls","cert":"MIIB"}"#, #"{"proof":"mtls","cert#S256":"abc"}"#, #"{"jwk":{"kty":"OKP"}}"#, #"{"proof":7}"#,
            #"{"proof":{"alg":"x"}}"#, #"{"proof":"httpsig","jwk":{"crv":"Ed25519"}}"#,
            #"{"proof":"httpsig","jwk":{"kty":"OKP","x":null,"kid":5}}"#, "[]",
        ]
        for text in keys {
            let bytes = Array(text.utf8)
            let reference = Result { try JSONDecoder().decode(GNAPKey.self, from: Data(bytes)) }
            let byHand = Result { try GNAPKey.read(json: bytes) }
            switch (reference, byHand) {
            case (.success(let expected), .success(let read)): #expect(read == expected, "\(text)")
            case (.failure(let expected), .failure(let read)):
                #expect(String(describing: type(of: expected)) == String(describing: type(of: read)), "\(text)")
                if case DecodingError.keyNotFound(let want, _) = expected, case DecodingError.keyNotFound(let got, _) = read {
                    #expect(want.stringValue == got.stringValue, "\(text)")
                }
            default: Issue.record("\(text): \(reference) vs \(byHand)")
            }
        }
    }

    @Test func encodesKeysStringsAndNumbersAsJSONEncoderDoes() throws {
        let key = try JSONDecoder().decode(GNAPKey.self, from: Data(Self.key.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(try SortedJSONEncoder().encode(key) == Array(try encoder.encode(key)))
        let awkward: [String: JSONValue] = [
            "b": .string("quote \" backslash \\ slash / newline \n control \u{1} é 😀"), "a": .number(-12), "c": .number(0.25),
            "d": .array([.null, .bool(false)]), "é": .object(["z": .number(1e20), "y": .string("")]),
        ]
        let fast = try SortedJSONEncoder().encode(awkward)
        #expect(JSONValue.parse(Data(fast)) == .object(awkward))
        #expect(JSONValue.parse(Data(fast)) == JSONValue.parse(try encoder.encode(awkward)))
        #expect(throws: EncodingError.self) { try SortedJSONEncoder().encode(["nan": Double.nan]) }
    }
}
