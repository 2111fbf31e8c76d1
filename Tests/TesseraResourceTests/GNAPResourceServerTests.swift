import Foundation
import HTTPMessageSignatures
import Synchronization
import TesseraProtocol
import TesseraTesting
import Testing

@testable import TesseraResource

@Suite struct GNAPResourceServerTests {
    let rsKey = GNAPKeyPair.generate(.ed25519, keyID: "rs-1")
    let clientKey = GNAPKeyPair.generate(.ed25519, keyID: "client-1")
    let clock = TestClock()

    /// An AS stub: checks the RS signature and answers introspection for `AT` (bound to the client key),
    /// `BEARER` (bearer) and anything else as inactive.
    func asStub(exp: Int? = nil) -> StubTransport {
        let rsKey = rsKey
        let clientKey = clientKey
        let clock = clock
        return StubTransport { request, _ in
            let body = try Stub.bodyObject(request)
            #expect(request.headerValue("signature-input")?.contains(#"tag="gnap""#) == true)
            #expect(request.headerValue("content-digest") != nil)
            let keyID = rsKey.publicJWK.kid ?? ""
            #expect(request.headerValue("signature-input")?.contains(#"keyid="\#(keyID)""#) == true)
            if request.requestTarget == "/gnap/resource" {
                #expect(body["resource_server"] != nil)
                return Stub.json(#"{"resource_reference": "FWWIKYBQ6U56NL1"}"#)
            }
            #expect(request.requestTarget == "/gnap/introspect")
            let resourceServer = try #require(body["resource_server"] as? [String: Any])
            #expect(resourceServer["key"] != nil)
            let expiry = exp ?? Int(clock.now().timeIntervalSince1970) + 600
            switch body["access_token"] as? String {
            case "AT":
                if let proof = body["proof"] { #expect(proof as? String == "httpsig") }
                let jwk = String(decoding: try JSONEncoder().encode(clientKey.publicJWK), as: UTF8.self)
                return Stub.json(
                    #"{"active": true, "access": [{"type": "photo-api", "actions": ["read"]}], "key": {"proof": "httpsig", "jwk": \#(jwk)}, "iss": "https://as.example/gnap", "exp": \#(expiry)}"#
                )
            case "BEARER":
                return Stub.json(#"{"active": true, "access": ["photos"], "flags": ["bearer"], "iss": "https://as.example/gnap"}"#)
            default:
                return Stub.json(#"{"active": false}"#)
            }
        }
    }

    func resourceServer(_ transport: StubTransport, cache: Duration = .seconds(10)) -> GNAPResourceServer {
        var configuration = GNAPResourceServer.Configuration(asBaseURL: "https://as.example", resourceServer: .key(rsKey.gnapKey))
        configuration.introspectionCacheLifetime = cache
        configuration.referrer = "https://rs.example"
        let clock = clock
        return GNAPResourceServer(configuration: configuration, key: rsKey, transport: transport, now: { clock.now() })
    }

    func signedRequest(token: String, key: GNAPKeyPair? = nil, scheme: String = "GNAP") throws -> HTTPSignatureRequest {
        var request = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
        request.appendHeader(name: "Authorization", value: "\(scheme) \(token)")
        let clock = clock
        try (key ?? clientKey).sign(&request, now: { clock.now() })
        return request
    }

    @Test func boundTokenWithTheClientsSignatureIsAuthorized() async throws {
        let rs = resourceServer(asStub())
        guard case .authorized(let granted) = await rs.verify(try signedRequest(token: "AT")) else {
            Issue.record("expected authorized")
            return
        }
        #expect(granted.allows("photo-api", action: "read"))
        #expect(!granted.allows("photo-api", action: "write"))
        #expect(granted.signature?.parameters.keyID == "client-1")
    }

    @Test func replayedSignatureIsRefused() async throws {
        let rs = resourceServer(asStub())
        let request = try signedRequest(token: "AT")
        guard case .authorized = await rs.verify(request) else {
            Issue.record("first use should pass")
            return
        }
        guard case .refused(let failure) = await rs.verify(request) else {
            Issue.record("a replay must be refused")
            return
        }
        #expect(failure.reason == .invalidSignature)
        #expect(failure.challenge.hasPrefix("GNAP as_uri=https://as.example/gnap"))
    }

    @Test func signatureByAnotherKeyIsRefused() async throws {
        let rs = resourceServer(asStub())
        let result = await rs.verify(try signedRequest(token: "AT", key: GNAPKeyPair.generate(.ed25519, keyID: "client-1")))
        guard case .refused(let failure) = result else {
            Issue.record("a signature by another key must be refused")
            return
        }
        #expect(failure.reason == .invalidSignature)
    }

    @Test func unsignedOrTamperedRequestsAreRefused() async throws {
        let rs = resourceServer(asStub())
        var unsigned = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
        unsigned.appendHeader(name: "Authorization", value: "GNAP AT")
        guard case .refused(let failure) = await rs.verify(unsigned) else { Issue.record("unsigned"); return }
        #expect(failure.reason == .invalidSignature)

        var tampered = try signedRequest(token: "AT")
        tampered.requestTarget = "/photos/2"
        guard case .refused(let other) = await rs.verify(tampered) else { Issue.record("tampered"); return }
        #expect(other.reason == .invalidSignature)

        clock.advance(by: 120)
        let stale = try signedRequest(token: "AT")
        clock.advance(by: 300)
        guard case .refused(let old) = await rs.verify(stale) else { Issue.record("stale"); return }
        #expect(old.reason == .invalidSignature)
    }

    @Test func missingAndInactiveTokensGetAChallenge() async throws {
        let rs = resourceServer(asStub())
        let bare = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
        guard case .refused(let missing) = await rs.verify(bare) else { Issue.record("no token"); return }
        #expect(missing.reason == .missingToken)
        let challenge = try #require(GNAPChallenge(parsing: missing.challenge))
        #expect(challenge.asURI == "https://as.example/gnap")
        #expect(challenge.referrer == "https://rs.example")
        guard case .refused(let inactive) = await rs.verify(try signedRequest(token: "UNKNOWN")) else { Issue.record("inactive"); return }
        #expect(inactive.reason == .inactiveToken)
    }

    @Test func bearerTokensNeedTheBearerSchemeAndBoundTokensTheGNAPScheme() async throws {
        let rs = resourceServer(asStub())
        var bearer = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
        bearer.appendHeader(name: "Authorization", value: "Bearer BEARER")
        guard case .authorized(let granted) = await rs.verify(bearer) else { Issue.record("bearer"); return }
        #expect(granted.signature == nil)
        #expect(granted.allows("photos"))

        var boundAsBearer = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
        boundAsBearer.appendHeader(name: "Authorization", value: "Bearer AT")
        guard case .refused(let failure) = await rs.verify(boundAsBearer) else { Issue.record("bound as bearer"); return }
        #expect(failure.reason == .wrongScheme)
    }

    @Test func introspectionIsCachedButBoundedByExpiryAndSignaturesAreAlwaysChecked() async throws {
        let transport = asStub()
        let rs = resourceServer(transport)
        for _ in 0..<3 {
            guard case .authorized = await rs.verify(try signedRequest(token: "AT")) else { Issue.record("cached"); return }
        }
        #expect(transport.sent.count == 1)
        // A cached answer does not excuse a bad signature.
        let forged = try signedRequest(token: "AT", key: GNAPKeyPair.generate(.ed25519, keyID: "client-1"))
        guard case .refused = await rs.verify(forged) else { Issue.record("forged"); return }
        clock.advance(by: 11)
        guard case .authorized = await rs.verify(try signedRequest(token: "AT")) else { Issue.record("after expiry"); return }
        #expect(transport.sent.count == 2)

        let shortLived = asStub(exp: Int(clock.now().timeIntervalSince1970) + 2)
        let rs2 = resourceServer(shortLived, cache: .seconds(60))
        guard case .authorized = await rs2.verify(try signedRequest(token: "AT")) else { Issue.record("short"); return }
        clock.advance(by: 3)
        _ = await rs2.verify(try signedRequest(token: "AT"))
        #expect(shortLived.sent.count == 2)

        let uncached = asStub()
        let rs3 = resourceServer(uncached, cache: .zero)
        _ = await rs3.verify(try signedRequest(token: "AT"))
        _ = await rs3.verify(try signedRequest(token: "AT"))
        #expect(uncached.sent.count == 2)
    }

    @Test func registrationReturnsTheResourceReference() async throws {
        let rs = resourceServer(asStub())
        let registered = try await rs.register(
            [.object(GNAPAccessObject(type: "photo-api", actions: ["read"]))],
            introspectionRequired: true
        )
        #expect(registered.resourceReference == "FWWIKYBQ6U56NL1")
        #expect(
            rs.challenge(access: registered.resourceReference)
                == "GNAP as_uri=https://as.example/gnap;access=FWWIKYBQ6U56NL1;referrer=https://rs.example"
        )
    }

    @Test func asErrorsAreTyped() async throws {
        let transport = StubTransport { _, _ in Stub.json(#"{"error": {"code": "invalid_resource_server"}}"#, status: 400) }
        let rs = resourceServer(transport)
        await #expect(throws: GNAPResourceError(.asError, "")) { try await rs.introspect(token: "AT", proof: "httpsig") }
        guard case .refused(let failure) = await rs.verify(try signedRequest(token: "AT")) else { Issue.record("error"); return }
        #expect(failure.reason == .introspectionFailed)
    }

    @Test func activeAnswersMissingRequiredMembersAreRejected() async throws {
        let transport = StubTransport { _, _ in Stub.json(#"{"active": true, "access": []}"#) }
        await #expect(throws: GNAPResourceError(.invalidResponse, "")) {
            try await resourceServer(transport).introspect(token: "AT", proof: "httpsig")
        }
        let bearerWithKey = StubTransport { _, _ in
            Stub.json(#"{"active": true, "access": [], "iss": "https://as.example/gnap", "flags": ["bearer"], "key": "k1"}"#)
        }
        await #expect(throws: GNAPResourceError(.invalidResponse, "")) {
            try await resourceServer(bearerWithKey).introspect(token: "AT", proof: nil)
        }
    }
}

@Suite struct GNAPChallengeTests {
    @Test(arguments: [
        "GNAP as_uri=https://as.example/tx;access=FWWIKYBQ6U56NL1;referrer=https://rs.example",
        #"GNAP as_uri="https://as.example/tx", access="FWWIKYBQ6U56NL1", referrer="https://rs.example""#,
        "gnap as_uri=https://as.example/tx, access=FWWIKYBQ6U56NL1 ,referrer=https://rs.example",
    ])
    func parsesTheRFCFormAndAuthParams(_ value: String) throws {
        let challenge = try #require(GNAPChallenge(parsing: value))
        #expect(challenge.asURI == "https://as.example/tx")
        #expect(challenge.access == "FWWIKYBQ6U56NL1")
        #expect(challenge.referrer == "https://rs.example")
    }

    @Test func otherSchemesAreNotGNAP() {
        #expect(GNAPChallenge(parsing: "Bearer realm=\"x\"") == nil)
        #expect(GNAPChallenge(parsing: "GNAPX as_uri=x") == nil)
        #expect(GNAPChallenge(parsing: "GNAP")?.asURI == nil)
    }

    @Test func valuesWithSeparatorsAreQuoted() throws {
        let challenge = GNAPChallenge(asURI: "https://as.example/tx", access: "read photos; all")
        #expect(challenge.headerValue == #"GNAP as_uri=https://as.example/tx;access="read photos; all""#)
        #expect(GNAPChallenge(parsing: challenge.headerValue) == challenge)
    }
}

/// A settable wall clock.
final class TestClock: Sendable {
    private let current = Mutex(Stub.epoch)
    func now() -> Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
