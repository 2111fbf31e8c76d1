import Crypto
import Foundation
import HTTPMessageSignatures
import Testing

/// Key import (JWK, PEM) and sign/verify round trips for every algorithm (RFC 9421 §3.3, Appendix B.1).
@Suite struct KeyTests {
    static let cases: [(id: String, algorithm: HTTPSignatureAlgorithm)] = [
        ("test-key-rsa", .rsaPKCS1v15SHA256), ("test-key-rsa-pss", .rsaPSSSHA512), ("test-key-ecc-p256", .ecdsaP256SHA256),
        ("test-key-ed25519", .ed25519),
    ]

    struct FixedKey: HTTPSignatureKeyResolver {
        let key: HTTPVerificationKey
        func verificationKey(keyID: String?, parameters: HTTPSignatureParameters) async throws -> HTTPVerificationKey? { key }
    }

    @Test func jwkAndPEMImportAgree() async throws {
        var policy = HTTPSignatureVerificationPolicy()
        policy.maximumAge = nil
        policy.allowedAlgorithms = HTTPSignatureAlgorithm.registered
        for (id, algorithm) in Self.cases {
            let fixture = try #require(Fixtures.file.keys[id])
            let fromJWK = try HTTPSigningKey(jwk: fixture.jwkJSON, algorithm: algorithm)
            let fromPEM = try HTTPSigningKey(pem: fixture.pemPrivate!, algorithm: algorithm, keyID: id)
            #expect(fromJWK.keyID == id)
            let publicPEM = try HTTPVerificationKey(pem: fixture.pemPublic!, algorithm: algorithm)
            let publicJWK = try HTTPVerificationKey(jwk: fixture.jwkJSON, algorithm: algorithm)
            // Each import signs, and every import of the public half verifies.
            for signer in [fromJWK, fromPEM] {
                var request = Fixtures.testRequest
                try HTTPMessageSigner(key: signer, now: { Date(timeIntervalSince1970: 1) }).sign(&request, components: [.method, .path])
                for key in [publicPEM, publicJWK, fromJWK.verificationKey, fromPEM.verificationKey] {
                    let verifier = HTTPMessageVerifier(policy: policy, keys: FixedKey(key: key), now: { Date(timeIntervalSince1970: 2) })
                    #expect(try await verifier.verify(request).signature != nil, "\(id)")
                }
            }
        }
    }

    @Test(arguments: ["ed25519", "ecdsa-p256-sha256", "ecdsa-p384-sha384", "rsa-pss-sha512", "rsa-v1_5-sha256", "hmac-sha256", "PS256"])
    func everyAlgorithmRoundTrips(name: String) async throws {
        let algorithm = HTTPSignatureAlgorithm(registryName: name) ?? HTTPSignatureAlgorithm(jwsAlgorithm: name)!
        let key: HTTPSigningKey
        switch name {
        case "ed25519": key = HTTPSigningKey(ed25519: Curve25519.Signing.PrivateKey(), keyID: "k")
        case "ecdsa-p256-sha256": key = HTTPSigningKey(p256: P256.Signing.PrivateKey(), keyID: "k")
        case "ecdsa-p384-sha384": key = HTTPSigningKey(p384: P384.Signing.PrivateKey(), keyID: "k")
        case "hmac-sha256": key = try HTTPSigningKey(hmacSecret: Fixtures.sharedSecret, keyID: "k")
        default:
            var jwk = Fixtures.file.keys["test-key-rsa-pss"]!.jwk!
            jwk["kid"] = "k"
            key = try HTTPSigningKey(jwk: String(decoding: try JSONEncoder().encode(jwk), as: UTF8.self), algorithm: algorithm)
        }
        #expect(key.algorithm == algorithm)
        var request = Fixtures.testRequest
        let signer = HTTPMessageSigner(key: key, configuration: .gnap, now: { Date(timeIntervalSince1970: 1_618_884_473) })
        try signer.sign(&request, components: [.method, .targetURI, .authority, .field("content-type")])
        var policy = HTTPSignatureVerificationPolicy.gnap
        policy.allowedAlgorithms = HTTPSignatureAlgorithm.registered.union([.jwsPS256])
        let verifier = HTTPMessageVerifier(
            policy: policy,
            keys: HTTPSignatureKeySet([key.verificationKey]),
            now: { Date(timeIntervalSince1970: 1_618_884_480) }
        )
        let verified = try #require(try await verifier.verify(request).signature)
        #expect(verified.contentDigestVerified)
        // The same bytes under the wrong algorithm binding never verify (§7.3.6).
        if name == "rsa-pss-sha512" || name == "PS256" {
            let other: HTTPSignatureAlgorithm = name == "PS256" ? .rsaPSSSHA512 : .jwsPS256
            let rebound = try HTTPVerificationKey(jwk: Fixtures.file.keys["test-key-rsa-pss"]!.jwkJSON, algorithm: other)
            let wrong = HTTPMessageVerifier(
                policy: policy,
                keys: HTTPSignatureKeySet([keyWithID(rebound, "k")]),
                now: { Date(timeIntervalSince1970: 1_618_884_480) }
            )
            #expect(try await wrong.verify(request).error?.code == .signatureMismatch)
        }
    }

    @Test func keyMaterialErrors() {
        #expect(throws: HTTPSignatureError(.invalidKey)) { try HTTPSigningKey(jwk: "{not json") }
        #expect(throws: HTTPSignatureError(.invalidKey)) {
            try HTTPSigningKey(pem: "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----")
        }
        #expect(throws: HTTPSignatureError(.unknownAlgorithm)) { try HTTPSigningKey(jwk: Fixtures.file.keys["test-key-rsa"]!.jwkJSON) }
        #expect(throws: HTTPSignatureError(.unknownAlgorithm)) {
            try HTTPVerificationKey(jwk: #"{"kty":"EC","crv":"P-256","alg":"none","x":"AA","y":"AA"}"#)
        }
        #expect(throws: HTTPSignatureError(.algorithmMismatch)) {
            try HTTPVerificationKey(
                jwk: #"{"kty":"OKP","crv":"Ed25519","alg":"ES256","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"}"#,
                algorithm: .ed25519
            )
        }
        #expect(throws: HTTPSignatureError(.unsuitableKey)) { try HTTPSigningKey(hmacSecret: [1, 2, 3]) }
        #expect(throws: HTTPSignatureError(.unsuitableKey)) {
            try HTTPVerificationKey(pem: Fixtures.file.keys["test-key-ed25519"]!.pemPublic!, algorithm: .ecdsaP256SHA256)
        }
    }
}

func keyWithID(_ key: HTTPVerificationKey, _ id: String) -> HTTPVerificationKey {
    var copy = key
    copy.keyID = id
    return copy
}
