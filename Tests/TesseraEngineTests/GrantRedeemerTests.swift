import Foundation
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

@testable import TesseraEngine

/// AS-A as the peer's OAuth client (identity chaining Appendix B.2): what it sends to the peer's token
/// endpoint, and how every kind of answer from the peer becomes an answer to our client.
@Suite struct GrantRedeemerTests {
    /// A peer token endpoint that records the request and answers as told.
    final class StubPeer: PeerTokenClient, @unchecked Sendable {
        let lock = NSLock()
        var reply: Result<PeerTokenReply, any Error>
        var sent: [(url: String, form: FormParameters, headers: [(name: String, value: String)])] = []
        var metadata: [String: JSONValue]?

        init(_ reply: Result<PeerTokenReply, any Error>) { self.reply = reply }

        func postTokenRequest(to url: String, form: String, headers: [(name: String, value: String)]) async throws -> PeerTokenReply {
            let parsed = try FormParameters(parsing: Array(form.utf8))
            return try lock.withLock {
                sent.append((url, parsed, headers))
                return try reply.get()
            }
        }
    }

    struct StubMetadata: AuthorizationServerMetadataFetcher {
        let document: [String: JSONValue]
        func fetchMetadata(from url: String) async throws -> [String: JSONValue] { document }
    }

    struct Unreachable: Error {}

    static let peerIssuer = "https://as-b.test"

    func redeemer(_ stub: StubPeer, metadata: [String: JSONValue]? = nil) async throws -> (GrantRedeemer, KeyRing) {
        let epoch = Fixtures.epoch
        let engine = try await TestServer.build(now: { epoch }) { _ in }.engine
        let redeemer = GrantRedeemer(
            issuer: engine.configuration.issuer,
            keyRing: engine.keyRing,
            client: stub,
            metadata: metadata.map { StubMetadata(document: $0) },
            now: { epoch }
        )
        return (redeemer, engine.keyRing)
    }

    func peer(
        _ authentication: TrustConfiguration.Peer.Redemption.Authentication,
        endpoint: String? = "https://as-b.test/token"
    ) -> TrustConfiguration.Peer {
        var peer = TrustConfiguration.Peer(name: "b", issuer: Self.peerIssuer)
        peer.redeem = .init(clientID: "as-a", tokenEndpoint: endpoint, authentication: authentication)
        peer.metadataURL = endpoint == nil ? "https://as-b.test/.well-known/oauth-authorization-server" : nil
        return peer
    }

    static func ok(_ body: [String: JSONValue]) -> Result<PeerTokenReply, any Error> { .success(PeerTokenReply(status: 200, body: body)) }

    @Test func privateKeyJWTIsSignedWithOurKeyForThePeer() async throws {
        let stub = StubPeer(
            Self.ok([
                "access_token": .string("at-b"), "token_type": .string("DPoP"), "expires_in": .number(300), "scope": .string("read"),
                "refresh_token": .string("r"),
            ])
        )
        let (redeemer, keyRing) = try await redeemer(stub)
        let response = try await redeemer.redeem(
            grant: "the-grant",
            scope: Scope(["read"]),
            peer: peer(.privateKeyJWT),
            bound: Confirmation(jkt: "k")
        )
        #expect(response.accessToken == "at-b")
        #expect(response.tokenType == "DPoP")
        #expect(response.expiresIn == 300)
        #expect(response.issuedTokenType == TokenTypeIdentifier.accessToken)
        #expect(response.refreshToken == nil)
        let sent = try #require(stub.sent.first)
        #expect(sent.url == "https://as-b.test/token")
        #expect(sent.form["grant_type"] == GrantType.jwtBearer.rawValue)
        #expect(sent.form["assertion"] == "the-grant")
        #expect(sent.form["scope"] == "read")
        #expect(sent.form["client_assertion_type"] == ClientAssertionClaims.assertionType)
        let assertion = try CompactJWS(parsing: try #require(sent.form["client_assertion"]))
        #expect(assertion.header.typ == ClientAssertionClaims.type)
        let payload = try await keyRing.tokenVerifier().verify(assertion)
        let claims = try JSONDecoder().decode(ClientAssertionClaims.self, from: payload)
        #expect(claims.iss == "as-a" && claims.sub == "as-a")
        #expect(claims.aud?.values == [Self.peerIssuer])
        #expect(claims.jti?.isEmpty == false)
        #expect(!sent.headers.contains { $0.name == "Authorization" })
    }

    @Test func clientSecretBasicAndTheMetadataTokenEndpoint() async throws {
        let stub = StubPeer(Self.ok(["access_token": .string("at-b"), "token_type": .string("Bearer")]))
        let metadata: [String: JSONValue] = [
            "issuer": .string(Self.peerIssuer), "token_endpoint": .string("https://as-b.test/oauth/token"),
        ]
        let (redeemer, _) = try await redeemer(stub, metadata: metadata)
        let response = try await redeemer.redeem(
            grant: "g",
            scope: Scope([]),
            peer: peer(.clientSecretBasic(secret: "s:1"), endpoint: nil),
            bound: nil
        )
        #expect(response.tokenType == "Bearer")
        let sent = try #require(stub.sent.first)
        #expect(sent.url == "https://as-b.test/oauth/token")
        #expect(sent.form["client_assertion"] == nil)
        #expect(sent.form["scope"] == nil)
        let expected = "Basic " + Data("as-a:s%3A1".utf8).base64EncodedString()
        #expect(sent.headers.contains { $0.name == "Authorization" && $0.value == expected })
    }

    @Test func metadataNamingAnotherIssuerIsRefused() async throws {
        let stub = StubPeer(Self.ok(["access_token": .string("at-b"), "token_type": .string("Bearer")]))
        let metadata: [String: JSONValue] = ["issuer": .string("https://evil.test"), "token_endpoint": .string("https://evil.test/token")]
        let (redeemer, _) = try await redeemer(stub, metadata: metadata)
        await #expect(throws: OAuthError.temporarilyUnavailable("")) {
            try await redeemer.redeem(grant: "g", scope: Scope([]), peer: peer(.privateKeyJWT, endpoint: nil), bound: nil)
        }
        #expect(stub.sent.isEmpty)
    }

    @Test(
        arguments: [
            (
                GrantRedeemerTests.ok(["access_token": .string("at-b"), "token_type": .string("Bearer")]), OAuthError.Code.invalidTarget,
                "did not bind"
            ),
            (
                .success(
                    PeerTokenReply(
                        status: 400,
                        body: ["error": .string("invalid_grant"), "error_description": .string("jti was already used")]
                    )
                ), .invalidTarget,
                "peer 'b' refused the authorization grant: invalid_grant (jti was already used)"
            ),
            (
                .success(
                    PeerTokenReply(status: 401, body: ["error": .string("invalid_client"), "error_description": .string("bad\u{7}text")])
                ), .invalidTarget,
                "refused the authorization grant: invalid_client"
            ),
            (.success(PeerTokenReply(status: 502, body: [:])), .temporarilyUnavailable, "HTTP 502"),
            (GrantRedeemerTests.ok(["token_type": .string("DPoP")]), .temporarilyUnavailable, "without a usable access token"),
            (.failure(Unreachable()), .temporarilyUnavailable, "could not be reached"),
        ] as [(Result<PeerTokenReply, any Error>, OAuthError.Code, String)]
    )
    func peerAnswersBecomeClearErrors(_ reply: Result<PeerTokenReply, any Error>, _ code: OAuthError.Code, _ text: String) async throws {
        let (redeemer, _) = try await redeemer(StubPeer(reply))
        do {
            _ = try await redeemer.redeem(grant: "g", scope: Scope(["read"]), peer: peer(.privateKeyJWT), bound: Confirmation(jkt: "k"))
            Issue.record("the peer's answer was accepted")
        } catch let error as OAuthError {
            #expect(error.code == code)
            #expect(error.message.contains(text), "\(error.message)")
            #expect(!error.message.contains("\u{7}"))
        }
    }
}
