import Crypto
import Foundation
import TesseraProtocol
import Testing

@Suite struct JOSETests {
    /// RFC 9449 example key and its published thumbprint (digest test vector).
    @Test func thumbprintMatchesRFC9449Example() throws {
        let jwk = PublicJWK(
            kty: "EC",
            crv: "P-256",
            x: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"
        )
        #expect(try jwk.thumbprint() == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
    }

    @Test func thumbprintRefusesInjectedMembers() {
        let jwk = PublicJWK(kty: "EC", crv: "P-256", x: #"a","kty":"RSA"#, y: "b")
        #expect(throws: JOSEError.self) { try jwk.thumbprint() }
    }

    @Test func signedTokenVerifiesAndTamperingIsCaught() async throws {
        let (signer, keys) = try await Self.keyPair()
        let token = try signer.sign(["sub": "alice"], type: "at+jwt")
        let verifier = try await JWSVerifier(keys: keys)
        let payload = try verifier.verify(try CompactJWS(parsing: token), expectedType: "at+jwt")
        #expect(String(decoding: payload, as: UTF8.self) == #"{"sub":"alice"}"#)

        var parts = token.split(separator: ".").map(String.init)
        parts[1] = Self.b64(Data(#"{"sub":"mallory"}"#.utf8))
        #expect(throws: JOSEError.self) { try verifier.verify(try CompactJWS(parsing: parts.joined(separator: "."))) }
    }

    /// An open claim set (`[String: JSONValue]`, as authorization grants and ID-JAGs are signed) is written by
    /// `JSONOutput` (issue 22) and reads back as the same claims, escapes and numbers included.
    @Test func anOpenClaimSetSignsAndReadsBackUnchanged() async throws {
        let (signer, keys) = try await Self.keyPair()
        let claims: [String: JSONValue] = [
            "iss": .string("https://as.example/t1"), "sub": .string("al\"ice\n😀"), "exp": .number(1_700_000_300),
            "amount": .number(12.5), "tiny": .number(1e-7), "aud": .array([.string("a"), .null, .bool(true)]),
            "act": .object(["sub": .string("agent")]),
        ]
        let token = try signer.sign(claims, type: "JWT")
        let jws = try CompactJWS(parsing: token)
        let payload = try await JWSVerifier(keys: keys).verify(jws)
        #expect(try JWTClaimSet(payload: payload).values == claims)
        #expect(try JSONDecoder().decode([String: JSONValue].self, from: payload) == claims)
    }

    /// RFC 7515 §5.2 / RFC 7519 §4: a repeated header or claim name is refused, not read one way here and another way
    /// by the next reader (`JSONDecoder` silently kept the first value).
    @Test func aRepeatedHeaderOrClaimNameIsRefused() async throws {
        let (signer, _) = try await Self.keyPair()
        let repeatedClaim = try signer.sign(payload: Data(#"{"sub":"alice","sub":"mallory"}"#.utf8), type: "JWT")
        let jws = try CompactJWS(parsing: repeatedClaim)
        #expect(throws: JOSEError.self) { try JWTClaimSet(payload: jws.payload) }
        let parts = repeatedClaim.split(separator: ".").map(String.init)
        let header = Base64URL.encode(Data(#"{"alg":"ES256","kid":"k","alg":"none"}"#.utf8))
        #expect(throws: JOSEError.self) { try CompactJWS(parsing: "\(header).\(parts[1]).\(parts[2])") }
    }

    @Test func algNoneIsRefused() async throws {
        let (_, keys) = try await Self.keyPair()
        let verifier = try await JWSVerifier(keys: keys)
        let token = Self.b64(Data(#"{"alg":"none","kid":"k"}"#.utf8)) + "." + Self.b64(Data("{}".utf8)) + "."
        #expect(throws: JOSEError.self) { try verifier.verify(try CompactJWS(parsing: token)) }
    }

    /// Algorithm confusion (RFC 8725 §2.1): HS256 keyed with the public key's bytes.
    @Test func hmacWithPublicKeyAsSecretIsRefused() async throws {
        let (_, keys) = try await Self.keyPair()
        let verifier = try await JWSVerifier(keys: keys)
        let input = Self.b64(Data(#"{"alg":"HS256","kid":"k"}"#.utf8)) + "." + Self.b64(Data("{}".utf8))
        let secret = SymmetricKey(data: Data(try JSONEncoder().encode(keys.keys[0])))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: secret)
        let token = input + "." + Self.b64(Data(mac))
        #expect(throws: JOSEError.self) { try verifier.verify(try CompactJWS(parsing: token)) }
    }

    @Test func wrongTypIsRefused() async throws {
        let (signer, keys) = try await Self.keyPair()
        let token = try signer.sign(["sub": "a"], type: "JWT")
        let verifier = try await JWSVerifier(keys: keys)
        #expect(throws: JOSEError.self) { try verifier.verify(try CompactJWS(parsing: token), expectedType: "at+jwt") }
    }

    @Test(arguments: ["", "a.b", "a.b.c.d", "!!.e30.", "e30.e30.e30"])
    func malformedCompactSerializationIsRefused(_ token: String) {
        #expect(throws: JOSEError.self) { try CompactJWS(parsing: token) }
    }

    static func keyPair() async throws -> (JWSSigner, PublicJWKSet) {
        let key = P256.Signing.PrivateKey()
        let point = key.publicKey.x963Representation.dropFirst()
        let x = b64(Data(point.prefix(32)))
        let y = b64(Data(point.suffix(32)))
        let privateJWK = #"{"kty":"EC","crv":"P-256","x":"\#(x)","y":"\#(y)","d":"\#(b64(key.rawRepresentation))"}"#
        let signer = try await JWSSigner(privateJWK: privateJWK, kid: "k", algorithm: .es256)
        return (signer, PublicJWKSet(keys: [PublicJWK(kty: "EC", crv: "P-256", x: x, y: y, kid: "k")]))
    }

    static func b64(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
