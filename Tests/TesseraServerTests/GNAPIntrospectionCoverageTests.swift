import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// RS-facing GNAP introspection reports a token active only for `access` it covers (RFC 9767 §3.3; review round 12,
/// K3): `privileges` and every API-specific member the resource server names count, not only `type`, `actions`,
/// `locations`, `datatypes` and `identifier`.
@Suite struct GNAPIntrospectionCoverageTests {
    @Test func privilegesAndAPISpecificMembersAreCompared() async throws {
        let tests = GNAPEndpointTests()
        let app = try await tests.app()
        let agent = GNAPTestSigner(kid: "agent-1", privateKey: tests.registeredKey, now: tests.clock.closure)
        let rs = GNAPTestSigner(kid: "rs-1", privateKey: tests.rsKey, now: tests.clock.closure)
        let held = GNAPAccessObject(
            type: "backup-api",
            locations: ["https://backup.example/"],
            privileges: ["read"],
            extra: ["limit": .object(["amount": .string("10.00"), "currency": .string("EUR")])]
        )
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent-1"), tokens: .single(.init(access: [.object(held)])))
        try await app.application.test(.router) { client in
            let grant = try await GNAPEndpointTests.send(client, app, agent, method: .post, path: "/gnap", body: body)
            let value = try #require((grant.json["access_token"] as? [String: Any])?["value"] as? String, "\(grant.json)")
            func active(_ access: GNAPAccessObject) async throws -> Bool? {
                try await GNAPEndpointTests.introspect(client, app, rs, value, [.object(access)]).json["active"] as? Bool
            }
            #expect(try await active(GNAPAccessObject(type: "backup-api", privileges: ["read"])) == true)
            #expect(try await active(GNAPAccessObject(type: "backup-api", privileges: ["admin"])) == false)
            let same = GNAPAccessObject(
                type: "backup-api",
                extra: ["limit": .object(["amount": .string("10.00"), "currency": .string("EUR")])]
            )
            #expect(try await active(same) == true)
            let more = GNAPAccessObject(
                type: "backup-api",
                extra: ["limit": .object(["amount": .string("1000000.00"), "currency": .string("EUR")])]
            )
            #expect(try await active(more) == false)
        }
    }
}
