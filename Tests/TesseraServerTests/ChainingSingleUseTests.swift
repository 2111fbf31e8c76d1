import Foundation
import HTTPTypes
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// The single-use `jti` of JWT authorization grants and ID-JAGs, spent in the commit that records the access token
/// (issue 22): replays are still refused through `/token`, the token is recorded when the response is sent, and a
/// grant refused for another reason is not spent by that refusal.
@Suite struct ChainingSingleUseTests {
    typealias F = ChainingFixture
    typealias I = IDJAGEndpointTests

    @Test func aGrantRefusedForItsScopeIsNotSpentAndRedeemsOnceAfterwards() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let grant = try #require(
                try await F.exchange(a, subject: try await F.accessToken(a, scope: "read")).json["access_token"] as? String
            )
            let wider = try await F.redeem(b, grant: grant, extra: [("scope", "read write")])
            #expect(wider.error == "invalid_scope")
            let redeemed = try await F.redeem(b, grant: grant)
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            let replay = try await F.redeem(b, grant: grant)
            #expect(replay.error == "invalid_grant")
            #expect(replay.description.contains("jti"))
        }
    }

    @Test func theRedeemedTokenIsRecordedBeforeTheResponse() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            let redeemed = try await F.redeem(b, grant: grant)
            let token = try #require(redeemed.json["access_token"] as? String)
            let jti = try #require(try F.claims(token).string("jti"))
            let record = try #require(try await fixture.b.engine.stores.tokens.accessToken(jti: jti))
            #expect(record.clientID == "app")
            #expect(record.parent?.derivation == .jwtGrant)
        }
    }

    @Test func concurrentRedemptionsOfOneGrantYieldOneToken() async throws {
        let fixture = try await F.make()
        try await fixture.run { a, b in
            let grant = try #require(try await F.exchange(a, subject: try await F.accessToken(a)).json["access_token"] as? String)
            // Each answer as (status, error): the fixture's response holds `[String: Any]`, which may not cross tasks.
            let answers = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await F.redeem(b, grant: grant)
                        return (response.status.code, response.error)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { $0.0 == 200 }.count == 1)
            #expect(answers.filter { $0.1 == "invalid_grant" }.count == 7)
        }
    }

    @Test func anIDJAGRefusedForItsScopeIsNotSpentAndRedeemsOnceAfterwards() async throws {
        let fixture = try await I.make()
        try await fixture.run { a, b in
            let grant = try await I.idJAG(a, fixture)
            let wider = try await I.redeem(b, grant, extra: [("resource", I.resource), ("scope", "read write")])
            #expect(wider.error == "invalid_scope")
            let redeemed = try await I.redeem(b, grant)
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            let token = try #require(redeemed.json["access_token"] as? String)
            #expect(try await fixture.b.engine.stores.tokens.accessToken(jti: try #require(try F.claims(token).string("jti"))) != nil)
            let replay = try await I.redeem(b, grant)
            #expect(replay.error == "invalid_grant")
            #expect(replay.description.contains("jti"))
        }
    }
}
