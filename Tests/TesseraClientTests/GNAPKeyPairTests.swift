import Foundation
import HTTPMessageSignatures
import TesseraProtocol
import TesseraTesting
import Testing

@Suite struct GNAPKeyPairTests {
    @Test(arguments: [GNAPKeyPair.Kind.ed25519, .p256])
    func privateJWKRoundTripsAndKeepsTheKid(_ kind: GNAPKeyPair.Kind) throws {
        let key = GNAPKeyPair.generate(kind)
        #expect(key.publicJWK.kid == (try key.thumbprint()))
        #expect(key.publicJWK.alg == (kind == .ed25519 ? "EdDSA" : "ES256"))
        let loaded = try GNAPKeyPair(privateJWK: key.privateJWKJSON())
        #expect(loaded.publicJWK == key.publicJWK)
        #expect(loaded.kind == kind)
    }

    @Test func mismatchedPublicMembersAreRefused() throws {
        let key = GNAPKeyPair.generate(.ed25519)
        let other = GNAPKeyPair.generate(.ed25519)
        let json = key.privateJWKJSON().replacingOccurrences(of: key.publicJWK.x ?? "", with: other.publicJWK.x ?? "")
        #expect(throws: JOSEError.self) { try GNAPKeyPair(privateJWK: json) }
        #expect(throws: JOSEError.self) { try GNAPKeyPair(privateJWK: #"{"kty":"OKP","crv":"Ed25519","x":"abc"}"#) }
        #expect(throws: JOSEError.self) { try GNAPKeyPair(privateJWK: #"{"kty":"RSA","d":"abc"}"#) }
        #expect(throws: JOSEError.self) { try GNAPKeyPair(privateJWK: "not json") }
    }

    @Test func signatureVerifiesWithThePublishedJWK() async throws {
        let key = GNAPKeyPair.generate(.p256, keyID: "p-1")
        var request = try HTTPSignatureRequest(method: "POST", targetURI: "https://as.example/gnap", body: Array("{}".utf8))
        try key.sign(&request, now: { Stub.epoch })
        let jwk = String(decoding: try JSONEncoder().encode(key.publicJWK), as: UTF8.self)
        let verifier = HTTPMessageVerifier(
            policy: .gnap,
            keys: HTTPSignatureKeySet([try HTTPVerificationKey(jwk: jwk)]),
            now: { Stub.epoch }
        )
        #expect(try await verifier.verify(request).signature != nil)
    }
}
