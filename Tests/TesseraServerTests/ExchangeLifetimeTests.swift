import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// A token exchange result never outlives the tokens it derives from (RFC 8693 §2.1; RFC 9700 §4.8
/// "privilege restriction"; ``DerivedTokenRules``): exchanging a token again and again must not keep
/// its rights alive past the subject token's (or the actor token's) `exp`.
@Suite struct ExchangeLifetimeTests {
    typealias F = ChainingFixture

    static func expiry(_ response: F.Response) throws -> Int {
        let token = try #require(response.json["access_token"] as? String, "\(response.json)")
        return try #require(try F.claims(token).numericDate("exp"))
    }

    /// Access tokens live 30 s at A, so the exchanged token's own lifetime (30 s) would outlive its subject's.
    static func shortLived() async throws -> ChainingFixture {
        try await F.make(configureA: { $0.accessTokenLifetime = 30 })
    }

    @Test func selfExchangeDoesNotExtendALocalToken() async throws {
        let fixture = try await Self.shortLived()
        try await fixture.run { a, _ in
            let subject = try await F.accessToken(a)
            let subjectExpiry = try #require(try F.claims(subject).numericDate("exp"))
            fixture.clock.advance(by: 20)
            let first = try await F.exchange(a, subject: subject, extra: [])
            #expect(first.status == .ok, "\(first.json)")
            #expect(try Self.expiry(first) <= subjectExpiry)
            #expect(first.json["expires_in"] as? Int == 10)
            // Exchanging the exchanged token keeps the first subject token's end, whatever the repetition.
            fixture.clock.advance(by: 5)
            let again = try await F.exchange(a, subject: try #require(first.json["access_token"] as? String), extra: [])
            #expect(again.status == .ok, "\(again.json)")
            #expect(try Self.expiry(again) <= subjectExpiry)
        }
    }

    @Test func aJWTAuthorizationGrantDoesNotOutliveItsSubjectToken() async throws {
        let fixture = try await Self.shortLived()
        try await fixture.run { a, _ in
            let subject = try await F.accessToken(a)
            let subjectExpiry = try #require(try F.claims(subject).numericDate("exp"))
            fixture.clock.advance(by: 20)
            let grant = try await F.exchange(a, subject: subject)
            #expect(grant.status == .ok, "\(grant.json)")
            #expect(try Self.expiry(grant) <= subjectExpiry)
            #expect(grant.json["expires_in"] as? Int == 10)
        }
    }

    @Test func aDelegatedTokenDoesNotOutliveItsActorToken() async throws {
        let fixture = try await Self.shortLived()
        try await fixture.run { a, _ in
            let actor = try await F.accessToken(a, as: "delegate")
            let actorExpiry = try #require(try F.claims(actor).numericDate("exp"))
            fixture.clock.advance(by: 20)
            let subject = try await F.accessToken(a)
            let delegated = try await F.exchange(
                a,
                subject: subject,
                as: "delegate",
                extra: [("actor_token", actor), ("actor_token_type", TokenTypeIdentifier.accessToken)]
            )
            #expect(delegated.status == .ok, "\(delegated.json)")
            #expect(try Self.expiry(delegated) <= actorExpiry)
        }
    }
}
