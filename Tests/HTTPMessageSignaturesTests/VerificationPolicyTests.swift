// swift-format-ignore-file: NeverUseForceTry
// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Crypto
import Foundation
import HTTPMessageSignatures
import Testing

/// Each verification rule fails with its own code (RFC 9421 §3.2, §3.2.1, §7).
@Suite struct VerificationPolicyTests {
    static let now: Int64 = 1_700_000_000
    static let clock: @Sendable () -> Date = { Date(timeIntervalSince1970: TimeInterval(now)) }
    static let ed25519 = HTTPSigningKey(ed25519: Curve25519.Signing.PrivateKey(), keyID: "client-key")

    static func grantRequest(body: String = #"{"access_token":{"access":["read"]}}"#) -> HTTPSignatureRequest {
        try! HTTPSignatureRequest(
            method: "POST",
            targetURI: "https://as.example.com/gnap?x=1",
            headerFields: [.init(name: "Content-Type", value: "application/json")],
            body: Array(body.utf8)
        )
    }

    static func signed(
        _ request: HTTPSignatureRequest = grantRequest(),
        configure: (inout HTTPMessageSigner.Configuration) -> Void = { _ in },
        components: [HTTPSignatureComponent] = [.method, .targetURI],
        at time: Int64 = now
    ) throws -> HTTPSignatureRequest {
        var configuration = HTTPMessageSigner.Configuration.gnap
        configure(&configuration)
        let signer = HTTPMessageSigner(key: ed25519, configuration: configuration, now: { Date(timeIntervalSince1970: TimeInterval(time)) })
        var request = request
        try signer.sign(&request, components: components)
        return request
    }

    static func verify(
        _ request: HTTPSignatureRequest,
        policy: HTTPSignatureVerificationPolicy = .gnap,
        keys: [HTTPVerificationKey] = [ed25519.verificationKey],
        cache: TestReplayCache? = TestReplayCache()
    ) async throws -> HTTPSignatureVerificationResult {
        try await HTTPMessageVerifier(policy: policy, keys: HTTPSignatureKeySet(keys), replayCache: cache, now: clock).verify(request)
    }

    @Test func gnapRequestRoundTrips() async throws {
        let request = try Self.signed()
        #expect(request.headerValue("content-digest")?.hasPrefix("sha-256=:") == true)
        let input = try #require(request.headerValue("signature-input"))
        #expect(input.hasPrefix(#"sig1=("@method" "@target-uri" "content-digest");created=1700000000;keyid="client-key";nonce=""#))
        #expect(input.hasSuffix(#";tag="gnap""#))
        let verified = try #require(try await Self.verify(request).signature)
        #expect(verified.contentDigestVerified)
        #expect(verified.key.algorithm == .ed25519)
    }

    @Test func tamperedBodyFailsContentDigest() async throws {
        var request = try Self.signed()
        request.body = Array(#"{"access_token":{"access":["write"]}}"#.utf8)
        #expect(try await Self.verify(request).error?.code == .contentDigestMismatch)
    }

    @Test func contentMustBeCoveredByDigest() async throws {
        var configuration = HTTPMessageSigner.Configuration.gnap
        configuration.contentDigestAlgorithms = []
        var request = Self.grantRequest()
        try HTTPMessageSigner(key: Self.ed25519, configuration: configuration, now: Self.clock).sign(
            &request,
            components: [.method, .targetURI]
        )
        #expect(try await Self.verify(request).error?.code == .missingContentDigest)
    }

    @Test func requiredComponentsAndFields() async throws {
        let noTarget = try Self.signed(components: [.method])
        #expect(try await Self.verify(noTarget).error?.code == .missingRequiredComponent)
        let withToken = try Self.signed(Self.grantRequest().adding("Authorization", "GNAP token"))
        #expect(try await Self.verify(withToken).error?.code == .missingRequiredComponent)
        let covered = try Self.signed(
            Self.grantRequest().adding("Authorization", "GNAP token"),
            components: [.method, .targetURI, .field("authorization")]
        )
        #expect(try await Self.verify(covered).signature != nil)
    }

    @Test func tagSelectsCandidates() async throws {
        let other = try Self.signed(configure: { $0.tag = "other-app" })
        #expect(try await Self.verify(other).error?.code == .noApplicableSignature)
        var policy = HTTPSignatureVerificationPolicy.gnap
        policy.requiredTag = nil
        policy.label = "sig1"
        #expect(try await Self.verify(other, policy: policy).signature != nil)
    }

    @Test func timeWindowIsEnforced() async throws {
        #expect(try await Self.verify(try Self.signed(at: Self.now - 121)).error?.code == .signatureTooOld)
        #expect(try await Self.verify(try Self.signed(at: Self.now - 119)).signature != nil)
        #expect(try await Self.verify(try Self.signed(at: Self.now + 61)).error?.code == .createdInFuture)
        let expiring = try Self.signed(configure: { $0.expiresAfter = .seconds(10) }, at: Self.now - 80)
        #expect(try await Self.verify(expiring).error?.code == .signatureExpired)
        let noCreated = try Self.signed(configure: { $0.includeCreated = false })
        #expect(try await Self.verify(noCreated).error?.code == .missingRequiredParameter)
    }

    @Test func nonceReplayIsDetected() async throws {
        let request = try Self.signed()
        let cache = TestReplayCache()
        #expect(try await Self.verify(request, cache: cache).signature != nil)
        #expect(try await Self.verify(request, cache: cache).error?.code == .replayedNonce)
        var policy = HTTPSignatureVerificationPolicy.gnap
        policy.requireNonce = true
        let noNonce = try Self.signed(configure: { $0.nonce = nil })
        #expect(try await Self.verify(noNonce, policy: policy).error?.code == .missingRequiredParameter)
    }

    @Test(.bug(id: 23, "a nonce-less GNAP signature was replayable for its whole window"))
    func aNonceLessSignatureBaseIsSingleUse() async throws {
        let noNonce = try Self.signed(configure: { $0.nonce = nil })
        let cache = TestReplayCache()
        #expect(try await Self.verify(noNonce, cache: cache).signature != nil)
        #expect(try await Self.verify(noNonce, cache: cache).error?.code == .replayedNonce)
        // Another base (another second) from the same key is new.
        #expect(try await Self.verify(try Self.signed(configure: { $0.nonce = nil }, at: Self.now - 1), cache: cache).signature != nil)
        // Off outside the GNAP profile: the generic policy leaves nonce-less signatures to the application.
        var generic = HTTPSignatureVerificationPolicy.gnap
        generic.singleUseSignatureBase = false
        let other = TestReplayCache()
        #expect(try await Self.verify(noNonce, policy: generic, cache: other).signature != nil)
        #expect(try await Self.verify(noNonce, policy: generic, cache: other).signature != nil)
    }

    @Test func algorithmRules() async throws {
        let withAlg = try Self.signed(configure: { $0.includeAlgorithm = true })
        #expect(try await Self.verify(withAlg).error?.code == .algorithmParameterForbidden)
        var policy = HTTPSignatureVerificationPolicy.gnap
        policy.allowAlgorithmParameter = true
        #expect(try await Self.verify(withAlg, policy: policy).signature != nil)
        policy.allowedAlgorithms = [.ecdsaP256SHA256]
        #expect(try await Self.verify(withAlg, policy: policy).error?.code == .algorithmNotAllowed)

        // alg naming another algorithm than the key's: fails even if the bytes would verify (§3.2 step 6).
        var lying = Self.grantRequest()
        lying.appendHeader(name: "Content-Digest", value: ContentDigest.fieldValue(for: lying.body ?? []))
        try HTTPMessageSigner(key: Self.ed25519, now: Self.clock).sign(
            &lying,
            components: [.method, .targetURI, .field("content-digest")],
            parameters: HTTPSignatureParameters(created: Self.now, keyID: "client-key", tag: "gnap"),
            label: "sig1"
        )
        lying.headerFields = lying.headerFields.map {
            $0.name == "signature-input" ? HTTPSignatureField(name: $0.name, value: $0.value + #";alg="hmac-sha256""#) : $0
        }
        policy.allowedAlgorithms = HTTPSignatureAlgorithm.registered
        #expect(try await Self.verify(lying, policy: policy).error?.code == .algorithmMismatch)
        lying.headerFields = lying.headerFields.map {
            $0.name == "signature-input" ? HTTPSignatureField(name: $0.name, value: $0.value + #";alg="none""#) : $0
        }
        #expect(try await Self.verify(lying, policy: policy).error?.code != nil)
    }

    @Test func unknownKeyAndWrongKey() async throws {
        let request = try Self.signed()
        #expect(try await Self.verify(request, keys: []).error?.code == .unknownKey)
        let other = HTTPSigningKey(ed25519: Curve25519.Signing.PrivateKey(), keyID: "client-key").verificationKey
        #expect(try await Self.verify(request, keys: [other]).error?.code == .signatureMismatch)
    }

    @Test func hmacKeyCannotVerifyAsymmetricPolicy() async throws {
        var request = Self.grantRequest()
        let secret = try HTTPSigningKey(hmacSecret: Fixtures.sharedSecret, keyID: "client-key")
        try HTTPMessageSigner(key: secret, configuration: .gnap, now: Self.clock).sign(&request, components: [.method, .targetURI])
        #expect(try await Self.verify(request, keys: [secret.verificationKey]).error?.code == .algorithmNotAllowed)
        var policy = HTTPSignatureVerificationPolicy.gnap
        policy.allowedAlgorithms.insert(.hmacSHA256)
        #expect(try await Self.verify(request, policy: policy, keys: [secret.verificationKey]).signature != nil)
    }

    @Test func unknownParametersAreRejectedByDefault() async throws {
        var request = try Self.signed()
        request.headerFields = request.headerFields.map {
            $0.name == "signature-input" ? HTTPSignatureField(name: $0.name, value: $0.value + ";custom=1") : $0
        }
        #expect(try await Self.verify(request).error?.code == .unknownParameter)
    }

    @Test func malformedFieldsAreClearErrors() async throws {
        let signed = try Self.signed()
        func replacing(_ name: String, with value: String) -> HTTPSignatureRequest {
            var copy = signed
            copy.headerFields = copy.headerFields.map { $0.name == name ? HTTPSignatureField(name: name, value: value) : $0 }
            return copy
        }
        #expect(try await Self.verify(replacing("signature-input", with: #"sig1=("@method"#)).error?.code == .malformedSignatureInput)
        #expect(try await Self.verify(replacing("signature-input", with: "sig1=1")).error?.code == .malformedSignatureInput)
        #expect(try await Self.verify(replacing("signature", with: "sig1=abc")).error?.code == .malformedSignature)
        #expect(try await Self.verify(replacing("signature", with: "sig2=:AAAA:")).error?.code == .labelMismatch)
        #expect(try await Self.verify(Self.grantRequest()).error?.code == .missingSignature)
        let duplicated = signed.adding("Signature-Input", signed.headerValue("signature-input")!)
        #expect(try await Self.verify(duplicated).error?.code == .duplicateLabel)
    }

    @Test func mutatedSignatureFieldsNeverCrashAndRarelyVerify() async throws {
        let signed = try Self.signed()
        let input = Array(signed.headerValue("signature-input")!.utf8)
        let signature = Array(signed.headerValue("signature")!.utf8)
        var generator = SeededGenerator(seed: 421)
        let alphabet = Array(#"();=:,"\ @*-.abz019AZ+/?"#.utf8)
        var accepted = 0
        for round in 0..<600 {
            var mutatedInput = input
            var mutatedSignature = signature
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                var target = round.isMultiple(of: 2) ? mutatedInput : mutatedSignature
                let position = Int.random(in: 0..<target.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: target[position] = alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
                case 1: target.remove(at: position)
                default: target.insert(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)], at: position)
                }
                if round.isMultiple(of: 2) { mutatedInput = target } else { mutatedSignature = target }
            }
            var request = signed
            request.headerFields = request.headerFields.map { field in
                switch field.name {
                case "signature-input": HTTPSignatureField(name: field.name, value: String(decoding: mutatedInput, as: UTF8.self))
                case "signature": HTTPSignatureField(name: field.name, value: String(decoding: mutatedSignature, as: UTF8.self))
                default: field
                }
            }
            if try await Self.verify(request).signature != nil { accepted += 1 }
        }
        // Only mutations the signature does not cover (the label, optional whitespace, base64 padding) can pass.
        #expect(accepted < 60)
    }

    @Test func everySignatureIsExaminedUntilOneIsAcceptable() async throws {
        var request = try Self.signed()
        let intruder = HTTPSigningKey(ed25519: Curve25519.Signing.PrivateKey(), keyID: "client-key")
        // First signature by the wrong key, second by the right one; labels are meaningless (§4.3).
        var twoSignatures = Self.grantRequest()
        try HTTPMessageSigner(key: intruder, configuration: .gnap, now: Self.clock).sign(
            &twoSignatures,
            components: [.method, .targetURI],
            label: "a"
        )
        try HTTPMessageSigner(key: Self.ed25519, configuration: .gnap, now: Self.clock).sign(
            &twoSignatures,
            components: [.method, .targetURI],
            label: "b"
        )
        let verified = try #require(try await Self.verify(twoSignatures).signature)
        #expect(verified.label == "b")
        #expect(throws: HTTPSignatureError(.duplicateLabel)) {
            try HTTPMessageSigner(key: Self.ed25519, configuration: .gnap, now: Self.clock).sign(&request, components: [.method])
        }
    }

    @Test func gnapKeyRotationSignsTheOldSignature() async throws {
        // RFC 9635 §7.3.1.1: old key signs (tag gnap), new key signs again covering the old signature.
        let newKey = HTTPSigningKey(p256: P256.Signing.PrivateKey(), keyID: "new-key")
        var request = Self.grantRequest().adding("Authorization", "GNAP rotate-token")
        try HTTPMessageSigner(key: Self.ed25519, configuration: .gnap, now: Self.clock)
            .sign(&request, components: [.method, .targetURI, .field("authorization")], label: "old-key")
        var rotate = HTTPMessageSigner.Configuration.gnap
        rotate.tag = "gnap-rotate"
        try HTTPMessageSigner(key: newKey, configuration: rotate, now: Self.clock)
            .sign(
                &request,
                components: [
                    .method, .targetURI, .field("authorization"), .field("content-digest"),
                    .field("signature", key: "old-key"), .field("signature-input", key: "old-key"),
                ],
                label: "new-key"
            )
        let keys = [Self.ed25519.verificationKey, newKey.verificationKey]
        #expect(try await Self.verify(request, keys: keys).signature?.label == "old-key")
        var rotation = HTTPSignatureVerificationPolicy.gnap
        rotation.requiredTag = "gnap-rotate"
        rotation.requiredComponents += [.field("signature", key: "old-key"), .field("signature-input", key: "old-key")]
        let verified = try #require(try await Self.verify(request, policy: rotation, keys: keys).signature)
        #expect(verified.label == "new-key")
        #expect(verified.key.algorithm == .ecdsaP256SHA256)
    }

    @Test func transformationsFromAppendixB4() async throws {
        let vector = try #require(Fixtures.vectors.first { $0.id == "B.4" })
        let key = try Fixtures.verificationKey("test-key-ed25519", algorithm: .ed25519)
        var policy = HTTPSignatureVerificationPolicy()
        policy.maximumAge = nil
        let verifier = HTTPMessageVerifier(
            policy: policy,
            keys: HTTPSignatureKeySet([key]),
            now: { Date(timeIntervalSince1970: 1_618_884_480) }
        )
        func check(
            _ target: String,
            method: String = "GET",
            authority: String = "example.org",
            fields: [(String, String)]
        ) async throws -> Bool {
            let request = HTTPSignatureRequest(
                method: method,
                scheme: "https",
                authority: authority,
                requestTarget: target,
                headerFields: fields.map { HTTPSignatureField(name: $0.0, value: $0.1) } + [
                    .init(name: "Signature-Input", value: vector.signatureInput), .init(name: "Signature", value: vector.signature),
                ]
            )
            return try await verifier.verify(request).signature != nil
        }
        let base = [("Host", "example.org"), ("Date", "Fri, 15 Jul 2022 14:24:55 GMT"), ("Accept", "application/json"), ("Accept", "*/*")]
        #expect(try await check("/demo?name1=Value1&Name2=value2", fields: base))
        #expect(try await check("/demo?name1=Value1&Name2=value2&param=added", fields: base + [("Accept-Language", "en-US,en;q=0.5")]))
        #expect(
            try await check(
                "/demo?name1=Value1&Name2=value2",
                fields: [("Host", "example.org"), ("Referer", "https://developer.example.org/demo"), ("Accept", "application/json, */*")]
            )
        )
        #expect(try await check("/demo?name1=Value1&Name2=value2", fields: [base[2], base[0], base[3], base[1]]))
        #expect(try await !check("/demo?name1=Value1&Name2=value2", method: "POST", authority: "example.com", fields: base))
        #expect(try await !check("/demo?name1=Value1&Name2=value2", fields: [base[0], base[1], base[3], base[2]]))
    }
}
