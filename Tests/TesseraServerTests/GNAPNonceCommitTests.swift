import HTTPMessageSignatures
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// Issue 22: a grant request's key-proof nonce (RFC 9635 §7.3.1, RFC 9421 §7.2.2) is spent in the same commit as the
/// grant and its tokens, not in a write of its own. Whatever the answer — tokens, a grant waiting for a person, a
/// refusal after the proof checked — the nonce is spent before the response, so the same nonce never proves twice.
@Suite struct GNAPNonceCommitTests {
    let fixture = GNAPEndpointTests()

    static func fixedNonce(_ configuration: inout HTTPMessageSigner.Configuration) { configuration.nonce = { "nonce-issue-22" } }

    func registered() -> GNAPTestSigner {
        GNAPTestSigner(kid: "agent-1", privateKey: fixture.registeredKey, now: fixture.clock.closure)
    }

    func tokenRequest() throws -> [UInt8] {
        try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(.init(access: [GNAPEndpointTests.backupRead])))
    }

    @Test func aRequestRefusedAfterItsProofStillSpendsTheNonce() async throws {
        let app = try await fixture.app()
        let signer = registered()
        let refused = try GNAPEndpointTests.grantBody(
            client: .instance("agent-1"),
            tokens: .single(.init(access: [GNAPEndpointTests.backupRead], flags: ["bearer", "bearer"]))
        )
        try await app.application.test(.router) { client in
            let first = try await GNAPEndpointTests.send(
                client,
                app,
                signer,
                method: .post,
                path: "/gnap",
                body: refused,
                configure: Self.fixedNonce
            )
            #expect(GNAPEndpointTests.errorCode(first.json) == "invalid_flag")
            // A valid request under the same nonce: a replay of the nonce, refused before any token is issued.
            let second = try await GNAPEndpointTests.send(
                client,
                app,
                signer,
                method: .post,
                path: "/gnap",
                body: try tokenRequest(),
                configure: Self.fixedNonce
            )
            #expect(second.status == .unauthorized)
            #expect(GNAPEndpointTests.errorCode(second.json) == "invalid_client")
        }
    }

    @Test func aGrantWaitingForAPersonSpendsTheNonce() async throws {
        let app = try await fixture.app()
        let unknown = GNAPTestSigner(now: fixture.clock.closure)
        let body = try GNAPEndpointTests.grantBody(client: .value(.init(key: unknown.key)), tokens: .single(.init(access: ["photos"])))
        try await app.application.test(.router) { client in
            let first = try await GNAPEndpointTests.send(
                client,
                app,
                unknown,
                method: .post,
                path: "/gnap",
                body: body,
                configure: Self.fixedNonce
            )
            #expect(first.status == .ok)
            #expect(first.json["interact"] != nil || first.json["continue"] != nil)
            #expect(first.json["access_token"] == nil)
            let replay = try await GNAPEndpointTests.send(
                client,
                app,
                unknown,
                method: .post,
                path: "/gnap",
                body: body,
                configure: Self.fixedNonce
            )
            #expect(GNAPEndpointTests.errorCode(replay.json) == "invalid_client")
            #expect(try await app.engine.stores.gnap.grants(state: .pending).count == 1)
        }
    }

    /// Two requests under one nonce at once both pass the proof (the nonce is spent at the commit now): exactly one
    /// commits; the other is refused and leaves no grant.
    @Test func ofTwoConcurrentRequestsUnderOneNonceExactlyOneIsGranted() async throws {
        let app = try await fixture.app()
        let signer = registered()
        let body = try tokenRequest()
        try await app.application.test(.router) { client in
            async let one = GNAPEndpointTests.send(
                client,
                app,
                signer,
                method: .post,
                path: "/gnap",
                body: body,
                configure: Self.fixedNonce
            )
            async let two = GNAPEndpointTests.send(
                client,
                app,
                signer,
                method: .post,
                path: "/gnap",
                body: body,
                configure: Self.fixedNonce
            )
            let answers = try await [one, two]
            #expect(answers.filter { $0.status == .ok }.count == 1)
            #expect(answers.compactMap { GNAPEndpointTests.errorCode($0.json) } == ["invalid_client"])
            #expect(try await app.engine.stores.gnap.grants(state: .approved).count == 1)
        }
    }
}
