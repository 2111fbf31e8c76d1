import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// A delegated token (RFC 8693 §4.1 `act`) dies with either token it derives from (eighth review, F7): only the
/// subject token was recorded as its parent, so revoking the actor token left the delegated token active at
/// /introspect and exchangeable again. The actor token is now a second derivation edge of the delegated token's
/// grant in the ledger (docs/SECURITY.md, "A delegated token dies with its actor token"), on both backends.
@Suite struct ActorTokenRevocationTests {
    typealias R = RevocationCascadeTests
    static let delegate = "delegate-b"

    static func configure(_ configuration: inout ServerConfiguration) {
        configuration.clients.append(
            ClientDefinition(
                id: delegate,
                auth: "client_secret_basic",
                secret: R.secret,
                grantTypes: ["client_credentials", GrantType.tokenExchange.rawValue],
                scopes: "read write"
            )
        )
        configuration.chaining.delegationClients = [delegate]
    }

    /// `subject` exchanged by the delegate, presenting `actor` as its actor token.
    static func delegated(_ client: any TestClientProtocol, subject: String, actor: String) async throws -> R.Answer {
        try await R.post(
            client,
            "/token",
            [
                ("grant_type", GrantType.tokenExchange.rawValue), ("subject_token", subject),
                ("subject_token_type", TokenTypeIdentifier.accessToken), ("actor_token", actor),
                ("actor_token_type", TokenTypeIdentifier.accessToken),
            ],
            as: delegate
        )
    }

    @Test(arguments: R.Ledger.allCases)
    func revokingTheActorTokenRevokesTheDelegatedToken(_ ledger: R.Ledger) async throws {
        try await R.withApp(database: try ledger.url(), configure: Self.configure) { client in
            let subject = try #require(try await R.post(client, "/token", [("grant_type", "client_credentials")]).token)
            let actor = try #require(try await R.post(client, "/token", [("grant_type", "client_credentials")], as: Self.delegate).token)
            let answer = try await Self.delegated(client, subject: subject, actor: actor)
            let token = try #require(answer.token, "\(answer.json)")
            let act = try JWTClaimSet(payload: try CompactJWS(parsing: token).payload).decode("act", as: ActorClaim.self)
            #expect(act?.sub == Self.delegate)
            // A token exchanged from the delegated one, as act.py's second exchange.
            let further = try #require(try await R.exchange(client, token, as: Self.delegate).token)
            #expect(try await R.active(client, token, as: Self.delegate))

            #expect(try await R.post(client, "/revoke", [("token", actor)], as: Self.delegate).status == .ok)
            #expect(try await R.active(client, actor, as: Self.delegate) == false)
            // Both were active after the actor's revocation.
            #expect(try await R.active(client, token, as: Self.delegate) == false)
            #expect(try await R.active(client, further, as: Self.delegate) == false)
            #expect(try await R.exchange(client, token, as: Self.delegate).error == "invalid_request")
            // The subject token is the person's, not the actor's: it lives on.
            #expect(try await R.active(client, subject))
        }
    }

    /// The JWT authorization grant minted for a peer from a delegated exchange (identity chaining §2.3) records the
    /// actor edge too: in the ledger it dies with the actor token, and with it whatever a shared ledger redeemed from it.
    @Test func aPeerGrantFromADelegatedExchangeDiesWithItsActorToken() async throws {
        typealias F = ChainingFixture
        let fixture = try await F.make()
        try await fixture.run { a, _ in
            let subject = try await F.accessToken(a)
            let actor = try await F.accessToken(a, as: "delegate")
            let minted = try await F.exchange(
                a,
                subject: subject,
                as: "delegate",
                extra: [
                    ("audience", F.issuerB), ("actor_token", actor), ("actor_token_type", TokenTypeIdentifier.accessToken),
                ]
            )
            let grant = try #require(minted.json["access_token"] as? String, "\(minted.json)")
            let jti = try #require(try F.claims(grant).string("jti"))
            let ledger = fixture.a.engine.stores.tokens
            #expect(try await ledger.accessToken(jti: jti)?.revokedAt == nil)
            #expect(try await F.post(a, [("token", actor)], as: "delegate", path: "/revoke").status == .ok)
            #expect(try await ledger.accessToken(jti: jti)?.revokedAt != nil)
        }
    }

    @Test func revokingTheSubjectTokenStillRevokesTheDelegatedToken() async throws {
        try await R.withApp(configure: Self.configure) { client in
            let subject = try #require(try await R.post(client, "/token", [("grant_type", "client_credentials")]).token)
            let actor = try #require(try await R.post(client, "/token", [("grant_type", "client_credentials")], as: Self.delegate).token)
            let token = try #require(try await Self.delegated(client, subject: subject, actor: actor).token)
            #expect(try await R.post(client, "/revoke", [("token", subject)]).status == .ok)
            #expect(try await R.active(client, token, as: Self.delegate) == false)
            #expect(try await R.active(client, actor, as: Self.delegate))
        }
    }
}
