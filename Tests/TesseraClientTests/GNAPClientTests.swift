import Foundation
import HTTPMessageSignatures
import Synchronization
import TesseraProtocol
import TesseraTesting
import Testing

@testable import TesseraClient

@Suite struct GNAPClientTests {
    let key = GNAPKeyPair.generate(.ed25519, keyID: "client-1")
    let endpoint = "https://as.example/gnap"

    func client(_ transport: StubTransport, sleeper: RecordingSleeper = RecordingSleeper()) -> GNAPClient {
        GNAPClient(grantEndpoint: endpoint, key: key, transport: transport, now: { Stub.epoch }, sleep: sleeper.sleep)
    }

    static let twoTokens = GNAPTokenRequests.multiple([
        GNAPTokenRequest(access: [.object(GNAPAccessObject(type: "photo-api", actions: ["read"]))], label: "photos"),
        GNAPTokenRequest(access: [.reference("billing")], label: "billing", flags: ["bearer"]),
    ])

    static let approvedTwo = """
        {"access_token": [
          {"value": "AT1.photos", "label": "photos", "access": [{"type": "photo-api", "actions": ["read"]}],
           "manage": {"uri": "https://as.example/gnap/token/m1", "access_token": {"value": "MT1"}}, "expires_in": 600},
          {"value": "AT2.billing", "label": "billing", "access": ["billing"], "flags": ["bearer"]}
        ]}
        """

    @Test func grantRequestIsSignedWithTheGNAPProfileAndCarriesTheKey() async throws {
        let transport = StubTransport { _, _ in Stub.json(Self.approvedTwo) }
        let grant = try await client(transport).requestGrant(GNAPGrantRequest(accessToken: Self.twoTokens))
        #expect(grant.tokens.count == 2)
        #expect(grant.token(labelled: "photos")?.value == "AT1.photos")
        #expect(grant.token(labelled: "billing")?.isBearer == true)
        #expect(!grant.isPending)

        let request = try #require(transport.sent.first)
        #expect(request.method == "POST")
        #expect(request.headerValue("content-type") == "application/json")
        #expect(request.headerValue("content-digest")?.hasPrefix("sha-256=:") == true)
        let signature = try #require(try await Stub.verify(request, with: key))
        #expect(signature.parameters.tag == "gnap")
        #expect(signature.parameters.keyID == "client-1")
        #expect(signature.parameters.algorithmName == nil)
        #expect(signature.parameters.nonce != nil)
        let names = signature.components.map(\.name)
        #expect(names.contains("@method") && names.contains("@target-uri") && names.contains("content-digest"))
        #expect(!names.contains("authorization"))

        let body = try Stub.bodyObject(request)
        let client = try #require(body["client"] as? [String: Any])
        let keyObject = try #require(client["key"] as? [String: Any])
        #expect(keyObject["proof"] as? String == "httpsig")
        let jwk = try #require(keyObject["jwk"] as? [String: Any])
        #expect(jwk["alg"] as? String == "EdDSA")
        #expect(jwk["kid"] as? String == "client-1")
        #expect(jwk["d"] == nil)
        let tokens = try #require(body["access_token"] as? [[String: Any]])
        #expect(tokens.map { $0["label"] as? String } == ["photos", "billing"])
    }

    @Test func pendingGrantIsPolledWithTheNewestContinuationTokenAfterEachWait() async throws {
        let transport = StubTransport { request, index in
            switch index {
            case 0:
                return Stub.json(
                    #"{"continue": {"uri": "https://as.example/gnap/continue/g1", "wait": 30, "access_token": {"value": "C1"}}}"#
                )
            case 1:
                #expect(request.headerValue("authorization") == "GNAP C1")
                return Stub.json(
                    #"{"continue": {"uri": "https://as.example/gnap/continue/g1", "wait": 10, "access_token": {"value": "C2"}}}"#
                )
            default:
                #expect(request.headerValue("authorization") == "GNAP C2")
                return Stub.json(
                    #"{"access_token": {"value": "AT", "access": ["photos"]}, "continue": {"uri": "https://as.example/gnap/continue/g1", "access_token": {"value": "C3"}}}"#
                )
            }
        }
        let sleeper = RecordingSleeper()
        let gnap = client(transport, sleeper: sleeper)
        let requested = GNAPTokenRequests.single(GNAPTokenRequest(access: [.reference("photos")]))
        let first = try await gnap.requestGrant(GNAPGrantRequest(accessToken: requested))
        #expect(first.isPending)
        #expect(first.continuation?.accessToken == "C1")
        let pendingSeen = PendingCounter()
        let approved = try await gnap.awaitApproval(first, requested: requested) { _ in pendingSeen.increment() }
        #expect(approved.tokens.first?.value == "AT")
        #expect(approved.continuation?.accessToken == "C3")
        #expect(sleeper.recorded == [.seconds(30), .seconds(10)])
        #expect(pendingSeen.value == 2)

        let polls = Array(transport.sent.dropFirst())
        #expect(polls.count == 2)
        for poll in polls {
            #expect(poll.method == "POST")
            #expect(poll.body == nil)
            #expect(poll.headerValue("content-digest") == nil)
            let signature = try #require(try await Stub.verify(poll, with: key))
            #expect(signature.components.map(\.name).contains("authorization"))
        }
    }

    @Test func missingWaitDefaultsToFiveSeconds() async throws {
        let transport = StubTransport { _, _ in
            Stub.json(#"{"continue": {"uri": "https://as.example/gnap/continue/g1", "access_token": {"value": "C1"}}}"#)
        }
        let grant = try await client(transport).requestGrant(
            GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference("x")])))
        )
        #expect(grant.continuation?.wait == .seconds(5))
        #expect(grant.continuation?.notBefore == Stub.epoch.addingTimeInterval(5))
    }

    @Test(arguments: [
        // bearer flag together with a key (RFC 9635 §3.2.1)
        #"{"access_token": {"value": "AT", "access": ["x"], "flags": ["bearer"], "key": "key-ref-1"}}"#,
        // a duplicate flag
        #"{"access_token": {"value": "AT", "access": ["x"], "flags": ["durable", "durable"]}}"#,
        // a value outside token68
        #"{"access_token": {"value": "A T", "access": ["x"]}}"#,
        // a management token equal to the access token
        #"{"access_token": {"value": "AT", "access": ["x"], "manage": {"uri": "https://as.example/m", "access_token": {"value": "AT"}}}}"#,
        // a bearer management token
        #"{"access_token": {"value": "AT", "access": ["x"], "manage": {"uri": "https://as.example/m", "access_token": {"value": "M", "flags": ["bearer"]}}}}"#,
        // a continuation token with a key
        #"{"continue": {"uri": "https://as.example/c", "access_token": {"value": "C", "key": "k"}}}"#,
        // a bearer continuation token
        #"{"continue": {"uri": "https://as.example/c", "access_token": {"value": "C", "flags": ["bearer"]}}}"#,
        // an array answering a single-token request
        #"{"access_token": [{"value": "AT", "access": ["x"]}]}"#,
        // nothing usable
        #"{"instance_id": "abc"}"#,
        // not JSON
        "<html>",
    ])
    func invalidResponsesAreRejected(_ body: String) async throws {
        let transport = StubTransport { _, _ in Stub.json(body) }
        await #expect(throws: GNAPClientError(.invalidResponse, "")) {
            try await client(transport).requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference("x")]))))
        }
    }

    @Test func multiTokenResponsesMustEchoRequestedLabels() async throws {
        let unknownLabel = StubTransport { _, _ in
            Stub.json(
                #"{"access_token": [{"value": "A", "label": "photos", "access": ["x"]}, {"value": "B", "label": "other", "access": ["x"]}]}"#
            )
        }
        await #expect(throws: GNAPClientError(.invalidResponse, "")) {
            try await client(unknownLabel).requestGrant(GNAPGrantRequest(accessToken: Self.twoTokens))
        }
        let single = StubTransport { _, _ in Stub.json(#"{"access_token": {"value": "A", "label": "photos", "access": ["x"]}}"#) }
        await #expect(throws: GNAPClientError(.invalidResponse, "")) {
            try await client(single).requestGrant(GNAPGrantRequest(accessToken: Self.twoTokens))
        }
    }

    @Test func malformedRequestsAreRefusedBeforeSending() async throws {
        let transport = StubTransport { _, _ in Stub.json(Self.approvedTwo) }
        let noLabel = GNAPTokenRequests.multiple([
            GNAPTokenRequest(access: [.reference("a")], label: "a"), GNAPTokenRequest(access: [.reference("b")]),
        ])
        await #expect(throws: GNAPClientError(.invalidRequest, "")) {
            try await client(transport).requestGrant(GNAPGrantRequest(accessToken: noLabel))
        }
        let duplicate = GNAPTokenRequests.multiple([
            GNAPTokenRequest(access: [.reference("a")], label: "a"), GNAPTokenRequest(access: [.reference("b")], label: "a"),
        ])
        await #expect(throws: GNAPClientError(.invalidRequest, "")) {
            try await client(transport).requestGrant(GNAPGrantRequest(accessToken: duplicate))
        }
        let flags = GNAPTokenRequests.single(GNAPTokenRequest(access: [.reference("a")], flags: ["bearer", "bearer"]))
        await #expect(throws: GNAPClientError(.invalidRequest, "")) {
            try await client(transport).requestGrant(GNAPGrantRequest(accessToken: flags))
        }
        #expect(transport.sent.isEmpty)
    }

    @Test func errorResponsesBecomeTypedErrorsWithTheirContinuation() async throws {
        let transport = StubTransport { _, _ in
            Stub.json(
                #"{"error": {"code": "user_denied", "description": "no"}, "continue": {"uri": "https://as.example/c", "access_token": {"value": "C9"}, "wait": 7}}"#,
                status: 403
            )
        }
        do {
            _ = try await client(transport).requestGrant(
                GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference("x")])))
            )
            Issue.record("expected an error")
        } catch let error as GNAPClientError {
            #expect(error.code == .grantError)
            #expect(error.gnapError?.code == .userDenied)
            #expect(error.status == 403)
            #expect(error.continuation?.accessToken == "C9")
        }
        let stringForm = StubTransport { _, _ in Stub.json(#"{"error": "invalid_client"}"#, status: 401) }
        await #expect(throws: GNAPClientError(.grantError, "", gnapError: GNAPError(.invalidClient, ""))) {
            try await client(stringForm).requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference("x")]))))
        }
        let extraMembers = StubTransport { _, _ in
            Stub.json(#"{"error": "request_denied", "access_token": {"value": "A", "access": []}}"#, status: 403)
        }
        await #expect(throws: GNAPClientError(.invalidResponse, "")) {
            try await client(extraMembers).requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference("x")]))))
        }
        let plain500 = StubTransport { _, _ in TesseraHTTPResponse(status: 500, body: Array("oops".utf8)) }
        await #expect(throws: GNAPClientError(.unexpectedStatus, "")) {
            try await client(plain500).requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference("x")]))))
        }
    }

    @Test func rotationUsesTheManagementTokenAndReturnsTheNewManage() async throws {
        let transport = StubTransport { request, _ in
            #expect(request.method == "POST")
            #expect(request.body == nil)
            #expect(request.headerValue("authorization") == "GNAP MT1")
            return Stub.json(
                #"{"access_token": {"value": "AT1.rotated", "access": [{"type": "photo-api", "actions": ["read"]}], "manage": {"uri": "https://as.example/gnap/token/m2", "access_token": {"value": "MT2"}}}}"#
            )
        }
        let gnap = client(transport)
        let token = GNAPAccessToken(
            value: "AT1.photos",
            label: "photos",
            manage: GNAPManage(uri: "https://as.example/gnap/token/m1", accessToken: GNAPTokenValue(value: "MT1")),
            access: [.object(GNAPAccessObject(type: "photo-api", actions: ["read"]))],
            expiresIn: 600,
            flags: nil
        )
        let rotated = try await gnap.rotate(token)
        #expect(rotated.value == "AT1.rotated")
        #expect(rotated.label == "photos")
        #expect(rotated.manage?.uri == "https://as.example/gnap/token/m2")
        let request = try #require(transport.sent.first)
        #expect(request.requestTarget == "/gnap/token/m1")
        let signature = try #require(try await Stub.verify(request, with: key))
        #expect(signature.components.map(\.name).contains("authorization"))

        let unchanged = StubTransport { _, _ in
            Stub.json(
                #"{"access_token": {"value": "AT1.photos", "access": [{"type": "photo-api", "actions": ["read"]}], "manage": {"uri": "https://as.example/m", "access_token": {"value": "MT2"}}}}"#
            )
        }
        await #expect(throws: GNAPClientError(.invalidResponse, "")) { try await client(unchanged).rotate(token) }
        let widened = StubTransport { _, _ in
            Stub.json(
                #"{"access_token": {"value": "AT9", "access": ["admin"], "manage": {"uri": "https://as.example/m", "access_token": {"value": "MT2"}}}}"#
            )
        }
        await #expect(throws: GNAPClientError(.invalidResponse, "")) { try await client(widened).rotate(token) }
        let refused = StubTransport { _, _ in Stub.json(#"{"error": "invalid_rotation"}"#, status: 400) }
        await #expect(throws: GNAPClientError(.grantError, "", gnapError: GNAPError(.invalidRotation, ""))) {
            try await client(refused).rotate(token)
        }
        let noManage = GNAPAccessToken(value: "X", label: nil, manage: nil, access: [], expiresIn: nil, flags: nil)
        await #expect(throws: GNAPClientError(.notManageable, "")) { try await client(refused).rotate(noManage) }
    }

    @Test func revocationAndCancellationAreSignedDeletes() async throws {
        let transport = StubTransport { _, _ in TesseraHTTPResponse(status: 204) }
        let gnap = client(transport)
        let token = GNAPAccessToken(
            value: "AT",
            label: nil,
            manage: GNAPManage(uri: "https://as.example/gnap/token/m1", accessToken: GNAPTokenValue(value: "MT1")),
            access: [.reference("x")],
            expiresIn: nil,
            flags: nil
        )
        try await gnap.revoke(token)
        try await gnap.cancelGrant(
            GNAPContinuation(uri: "https://as.example/gnap/continue/g1", accessToken: "C1", wait: .zero, notBefore: Stub.epoch)
        )
        let sent = transport.sent
        #expect(sent.map(\.method) == ["DELETE", "DELETE"])
        #expect(sent.map { $0.headerValue("authorization") } == ["GNAP MT1", "GNAP C1"])
        for request in sent { #expect(try await Stub.verify(request, with: key) != nil) }

        let failing = StubTransport { _, _ in Stub.json(#"{"error": "invalid_continuation"}"#, status: 400) }
        await #expect(throws: GNAPClientError(.grantError, "", gnapError: GNAPError(.invalidContinuation, ""))) {
            try await client(failing).cancelGrant(
                GNAPContinuation(uri: "https://as.example/c", accessToken: "C", wait: .zero, notBefore: Stub.epoch)
            )
        }
    }

    @Test func modificationIsAPatchWithoutClient() async throws {
        let transport = StubTransport { request, _ in
            #expect(request.method == "PATCH")
            return Stub.json(#"{"continue": {"uri": "https://as.example/c", "access_token": {"value": "C2"}}}"#)
        }
        let continuation = GNAPContinuation(uri: "https://as.example/c", accessToken: "C1", wait: .zero, notBefore: Stub.epoch)
        let grant = try await client(transport).modifyGrant(
            continuation,
            GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference("y")])))
        )
        #expect(grant.continuation?.accessToken == "C2")
        let body = try Stub.bodyObject(try #require(transport.sent.first))
        #expect(body["client"] == nil)
        await #expect(throws: GNAPClientError(.invalidRequest, "")) {
            try await client(transport).modifyGrant(continuation, GNAPGrantRequest(client: .instance("x")))
        }
    }

    @Test func boundTokensArePresentedWithASignatureCoveringAuthorization() async throws {
        let gnap = client(StubTransport { _, _ in TesseraHTTPResponse(status: 200) })
        var request = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
        let bound = GNAPAccessToken(value: "AT-bound", label: nil, manage: nil, access: [.reference("x")], expiresIn: nil, flags: nil)
        try gnap.authorize(&request, with: bound)
        #expect(request.headerValue("authorization") == "GNAP AT-bound")
        let signature = try #require(try await Stub.verify(request, with: key))
        #expect(signature.components.map(\.name) == ["@method", "@target-uri", "authorization"])

        var bearerRequest = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
        let bearer = GNAPAccessToken(
            value: "AT-bearer",
            label: nil,
            manage: nil,
            access: [.reference("x")],
            expiresIn: nil,
            flags: ["bearer"]
        )
        try gnap.authorize(&bearerRequest, with: bearer)
        #expect(bearerRequest.headerValue("authorization") == "Bearer AT-bearer")
        #expect(bearerRequest.headerValue("signature") == nil)

        var other = try HTTPSignatureRequest(method: "GET", targetURI: "https://rs.example/photos/1")
        let elsewhere = GNAPAccessToken(
            value: "AT",
            label: nil,
            manage: nil,
            access: [],
            expiresIn: nil,
            flags: nil,
            key: .value(GNAPKeyPair.generate(.p256).gnapKey)
        )
        #expect(throws: GNAPClientError(.unsupportedTokenKey, "")) { try gnap.authorize(&other, with: elsewhere) }
        let same = GNAPAccessToken(value: "AT", label: nil, manage: nil, access: [], expiresIn: nil, flags: nil, key: .value(key.gnapKey))
        try gnap.authorize(&other, with: same)
    }

    @Test func hostileWaitIsRefusedInsteadOfSlept() async throws {
        let sleeper = RecordingSleeper()
        let transport = StubTransport { _, _ in
            Stub.json(#"{"continue": {"uri": "https://as.example/c", "wait": 100000000, "access_token": {"value": "C1"}}}"#)
        }
        let gnap = client(transport, sleeper: sleeper)
        let grant = try await gnap.requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference("x")]))))
        await #expect(throws: GNAPClientError(.invalidResponse, "")) { try await gnap.awaitApproval(grant) }
        #expect(sleeper.recorded.isEmpty)
    }

    @Test func pollingStopsAtTheLimit() async throws {
        let transport = StubTransport { _, index in
            Stub.json(#"{"continue": {"uri": "https://as.example/c", "wait": 1, "access_token": {"value": "C\#(index)"}}}"#)
        }
        let gnap = client(transport)
        let grant = try await gnap.requestGrant(GNAPGrantRequest(accessToken: .single(GNAPTokenRequest(access: [.reference("x")]))))
        await #expect(throws: GNAPClientError(.pollingLimit, "")) { try await gnap.awaitApproval(grant, maximumPolls: 3) }
        #expect(transport.sent.count == 4)
    }

    @Test func instanceIdentifierReplacesTheKeyWhenConfigured() async throws {
        let transport = StubTransport { _, _ in Stub.json(Self.approvedTwo) }
        var configuration = GNAPClient.Configuration(grantEndpoint: endpoint)
        configuration.instanceID = "client-541-ab"
        let gnap = GNAPClient(configuration: configuration, key: key, transport: transport, now: { Stub.epoch })
        _ = try await gnap.requestGrant(GNAPGrantRequest(accessToken: Self.twoTokens), referrer: "https://rs.example/resource")
        let request = try #require(transport.sent.first)
        #expect(try Stub.bodyObject(request)["client"] as? String == "client-541-ab")
        #expect(request.headerValue("referer") == "https://rs.example/resource")
    }

    @Test(arguments: [("abc", true), ("a.b-c_d~e+f/g==", true), ("", false), ("=", false), ("a=b", false), ("a b", false), ("é", false)])
    func token68(_ value: String, _ valid: Bool) {
        #expect(GNAPClient.isToken68(value) == valid)
    }
}

final class PendingCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
