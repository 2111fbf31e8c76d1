// swift-format-ignore-file: NeverForceUnwrap
// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Foundation
import HTTPMessageSignatures
import Testing

/// Every RFC 9421 vector (Appendix B.2, B.3, B.4, §2.4, §2.5/§3, §4.3) plus the local GNAP vector.
@Suite struct RFC9421VectorTests {
    static func algorithm(_ vector: Fixtures.Vector) -> HTTPSignatureAlgorithm {
        HTTPSignatureAlgorithm(registryName: vector.alg)!
    }

    static func permissivePolicy() -> HTTPSignatureVerificationPolicy {
        var policy = HTTPSignatureVerificationPolicy()
        policy.maximumAge = nil
        policy.allowedAlgorithms = HTTPSignatureAlgorithm.registered
        policy.requireContentDigestForContent = false
        return policy
    }

    static func verifier(for vector: Fixtures.Vector) throws -> HTTPMessageVerifier {
        let key = try Fixtures.verificationKey(vector.keyid, algorithm: algorithm(vector))
        return HTTPMessageVerifier(
            policy: permissivePolicy(),
            keys: HTTPSignatureKeySet([key]),
            now: { Date(timeIntervalSince1970: 1_618_884_480) }
        )
    }

    static func result(of vector: Fixtures.Vector) async throws -> HTTPSignatureVerificationResult {
        let verifier = try verifier(for: vector)
        switch Fixtures.message(for: vector) {
        case .request(let request):
            return try await verifier.verify(
                request.adding("Signature-Input", vector.signatureInput).adding("Signature", vector.signature)
            )
        case .response(let response):
            return try await verifier.verify(
                response.adding("Signature-Input", vector.signatureInput).adding("Signature", vector.signature)
            )
        }
    }

    @Test("published signature verifies and our base matches byte for byte", arguments: Fixtures.vectors)
    func publishedSignatureVerifies(_ vector: Fixtures.Vector) async throws {
        let result = try await Self.result(of: vector)
        let verified = try #require(result.signature, "\(vector.id): \(String(describing: result.error))")
        #expect(verified.label == member(vector.signatureInput).label)
        let base: String
        switch Fixtures.message(for: vector) {
        case .request(let request):
            base = try HTTPMessageSigner.signatureBase(for: request, components: verified.components, parameters: verified.parameters)
        case .response(let response):
            base = try HTTPMessageSigner.signatureBase(for: response, components: verified.components, parameters: verified.parameters)
        }
        #expect(base == vector.signatureBase)
    }

    @Test("tampered signature is rejected", arguments: Fixtures.vectors)
    func tamperedSignatureFails(_ vector: Fixtures.Vector) async throws {
        var tampered = vector
        let (label, value) = member(vector.signature)
        var bytes = Array(Data(base64Encoded: String(value.dropFirst().dropLast()))!)
        bytes[bytes.count / 2] ^= 0x01
        tampered.signature = "\(label)=:\(Data(bytes).base64EncodedString()):"
        let result = try await Self.result(of: tampered)
        #expect(result.error?.code == .signatureMismatch)
    }

    @Test("deterministic algorithms reproduce the published signature", arguments: Fixtures.vectors.filter(\.deterministic))
    func deterministicSignatureIsReproduced(_ vector: Fixtures.Vector) async throws {
        let verified = try #require(try await Self.result(of: vector).signature)
        let signer = HTTPMessageSigner(
            key: try Fixtures.signingKey(vector.keyid, algorithm: Self.algorithm(vector)),
            now: { Date(timeIntervalSince1970: 0) }
        )
        let label = member(vector.signatureInput).label
        guard case .request(var request) = Fixtures.message(for: vector) else {
            Issue.record("deterministic vectors are requests")
            return
        }
        try signer.sign(&request, components: verified.components, parameters: verified.parameters, label: label)
        #expect(request.headerValue("Signature-Input") == vector.signatureInput)
        #expect(request.headerValue("Signature") == vector.signature)
    }

    @Test("randomized algorithms round-trip our own signatures", arguments: Fixtures.vectors.filter { !$0.deterministic })
    func randomizedSignatureRoundTrips(_ vector: Fixtures.Vector) async throws {
        let verified = try #require(try await Self.result(of: vector).signature)
        let signer = HTTPMessageSigner(
            key: try Fixtures.signingKey(vector.keyid, algorithm: Self.algorithm(vector)),
            now: { Date(timeIntervalSince1970: 0) }
        )
        let verifier = try Self.verifier(for: vector)
        let label = member(vector.signatureInput).label
        switch Fixtures.message(for: vector) {
        case .request(var request):
            try signer.sign(&request, components: verified.components, parameters: verified.parameters, label: label)
            #expect(request.headerValue("Signature-Input") == vector.signatureInput)
            // RSASSA-PKCS1-v1_5 is deterministic too, so S4.3proxy is reproduced byte for byte; PSS/ECDSA are not.
            if Self.algorithm(vector) == .rsaPKCS1v15SHA256 {
                #expect(request.headerValue("Signature") == vector.signature)
            } else {
                #expect(request.headerValue("Signature") != vector.signature)
            }
            #expect(try await verifier.verify(request).signature != nil)
        case .response(var response):
            try signer.sign(&response, components: verified.components, parameters: verified.parameters, label: label)
            #expect(response.headerValue("Signature-Input") == vector.signatureInput)
            #expect(try await verifier.verify(response).signature != nil)
        }
    }

    @Test func gnapSignatureG1VerifiesWithPS512() async throws {
        // RFC 9635 §7.2 example: the RFC says RS256 but the bytes verify only as rsa-pss-sha512.
        let jwk = #"{"kty":"RSA","kid":"gnap-rsa","e":"AQAB","n":"\#(Fixtures.gnapRSAModulus)"}"#
        let request = try HTTPSignatureRequest(
            method: "GET",
            targetURI: "https://resource.example.com/stuff",
            headerFields: [
                .init(name: "Host", value: "resource.example.com"),
                .init(name: "Authorization", value: "GNAP 80UPRY5NM33OMUKMKSKU"),
                .init(
                    name: "Signature-Input",
                    value:
                        #"sig1=("@method" "@target-uri" "authorization");created=1618884473;keyid="gnap-rsa";nonce="NAOEJF12ER2";tag="gnap""#
                ),
                .init(
                    name: "Signature",
                    value:
                        "sig1=:FQ+EjWqc38uLFByKa5y+c4WyYYwCTGUhidWKfr5L1Cha8FiPEwDxG7nWttpBLS/B6VLfkZJogPbclySs9MDIsAIJwHnzlcJjwXWR2lfvm2z3X7EkJHmZp4SmyKOS34luAiKR1xwf32NYFolHmZf/SbHZJuWvQuS4U33C+BbsXz8MflFH1DhtH/C1E5i244gSbdLCPxzABc/Q0NHVSLo1qaouYIvnxXB8OT3K7mwWjsLh1GC5vFThb3XQ363r6f0OPRa4qWHhubR/d/J/lNOjbBdjq9AJ69oqNJ+A2XT+ZCrVasEJE0OBvDauQoiywhb8BMB7+PEINsPk5/8UvaNxbw==:"
                ),
            ]
        )
        let pss = try HTTPVerificationKey(jwk: jwk, algorithm: .rsaPSSSHA512)
        let now: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_618_884_480) }
        let verifier = HTTPMessageVerifier(policy: .gnap, keys: HTTPSignatureKeySet([pss]), replayCache: TestReplayCache(), now: now)
        let verified = try #require(try await verifier.verify(request).signature)
        #expect(verified.parameters.tag == "gnap")
        let rs256 = try HTTPVerificationKey(jwk: jwk, algorithm: .rsaPKCS1v15SHA256)
        let wrong = HTTPMessageVerifier(policy: .gnap, keys: HTTPSignatureKeySet([rs256]), now: now)
        #expect(try await wrong.verify(request).error?.code == .signatureMismatch)
    }

    @Test func gnapRotationSignatureG3OldKeyVerifies() async throws {
        // RFC 9635 §7.3.1.1, old-key signature over a body-less rotation request with Content-Digest present.
        let base = """
            "@method": POST
            "@target-uri": https://server.example.com/token/PRY5NM33
            "content-digest": sha-512=:Fb/A5vnawhuuJ5xk2RjGrbbxr6cvinZqd4+JPY85u/JNyTlmRmCOtyVhZ1Oz/cSS4tsYen6fzpCwizy6UQxNBQ==:
            "authorization": GNAP 4398.34-12-asvDa.a
            "@signature-params": ("@method" "@target-uri" "content-digest" "authorization");created=1618884475;keyid="test-key-ecc-p256";tag="gnap"
            """
        let input =
            #"old-key=("@method" "@target-uri" "content-digest" "authorization");created=1618884475;keyid="test-key-ecc-p256";tag="gnap""#
        let request = try HTTPSignatureRequest(
            method: "POST",
            targetURI: "https://server.example.com/token/PRY5NM33",
            headerFields: [
                .init(
                    name: "Content-Digest",
                    value: "sha-512=:Fb/A5vnawhuuJ5xk2RjGrbbxr6cvinZqd4+JPY85u/JNyTlmRmCOtyVhZ1Oz/cSS4tsYen6fzpCwizy6UQxNBQ==:"
                ),
                .init(name: "Authorization", value: "GNAP 4398.34-12-asvDa.a"),
                .init(name: "Signature-Input", value: input),
                .init(
                    name: "Signature",
                    value: "old-key=:vN4IKYsJl2RLFe+tYEm4dHM4R4BToqx5D2FfH4ge5WOkgxodI2QRrjB8rysvoSEGvAfiVJOWsGcPD1lU639Amw==:"
                ),
            ]
        )
        let key = try Fixtures.verificationKey("test-key-ecc-p256", algorithm: .ecdsaP256SHA256)
        let verifier = HTTPMessageVerifier(
            policy: .gnap,
            keys: HTTPSignatureKeySet([key]),
            now: { Date(timeIntervalSince1970: 1_618_884_480) }
        )
        let verified = try #require(try await verifier.verify(request).signature)
        #expect(
            try HTTPMessageSigner.signatureBase(for: request, components: verified.components, parameters: verified.parameters) == base
        )
    }
}
