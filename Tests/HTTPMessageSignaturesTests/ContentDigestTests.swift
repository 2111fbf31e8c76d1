import HTTPMessageSignatures
import Testing

/// RFC 9530 Appendix D sample values and verification rules.
@Suite struct ContentDigestTests {
    static let hello = Array(#"{"hello": "world"}"#.utf8)

    @Test func sampleDigestValues() {
        #expect(
            ContentDigest.fieldValue(for: Self.hello, algorithms: [.sha256]) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        )
        #expect(
            ContentDigest.fieldValue(for: Self.hello, algorithms: [.sha512])
                == "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
        )
        #expect(
            ContentDigest.fieldValue(for: Array(#"{"message": "good dog"}"#.utf8), algorithms: [.sha512])
                == "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:"
        )
        #expect(ContentDigest.fieldValue(for: [], algorithms: [.sha256]) == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")
    }

    @Test func verifiesEveryAcceptedMember() throws {
        let both = ContentDigest.fieldValue(for: Self.hello, algorithms: [.sha256, .sha512])
        #expect(try ContentDigest.verify(fieldValue: both, body: Self.hello) == [.sha256, .sha512])
        // Deprecated algorithms are ignored, never trusted (RFC 9530 §5).
        let withMD5 = "md5=:Sd/dVLAcvNLSq16eXua5uQ==:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        #expect(try ContentDigest.verify(fieldValue: withMD5, body: Self.hello) == [.sha256])
    }

    @Test func rejectsMismatchMalformedAndUnsupported() {
        #expect(throws: HTTPSignatureError(.contentDigestMismatch)) {
            try ContentDigest.verify(fieldValue: "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", body: Array("x".utf8))
        }
        #expect(throws: HTTPSignatureError(.unsupportedDigestAlgorithm)) {
            try ContentDigest.verify(fieldValue: "md5=:Sd/dVLAcvNLSq16eXua5uQ==:", body: Self.hello)
        }
        #expect(throws: HTTPSignatureError(.malformedContentDigest)) {
            try ContentDigest.verify(fieldValue: "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", body: Self.hello)
        }
        #expect(throws: HTTPSignatureError(.malformedContentDigest)) {
            try ContentDigest.verify(fieldValue: #"sha-256="X48E""#, body: Self.hello)
        }
        #expect(throws: HTTPSignatureError(.unsupportedDigestAlgorithm)) {
            try ContentDigest.verify(
                fieldValue: ContentDigest.fieldValue(for: Self.hello, algorithms: [.sha512]),
                body: Self.hello,
                accepted: [.sha256]
            )
        }
    }
}
