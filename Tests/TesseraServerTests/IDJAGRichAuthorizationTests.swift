// swift-format-ignore-file: NeverForceUnwrap

// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// `authorization_details` (RFC 9396, the Cedar profile) through an ID-JAG over `/token`, two issuers
/// (draft-ietf-oauth-identity-assertion-authz-grant §4.3.3 rules 3–4, §4.4.1; digest part F.4/F.5):
/// the IdP (AS-A) decides the requested entries as every grant does (its types, its delegation
/// policies, an owner's forbid on a type) and puts the granted ones in the ID-JAG; the resource AS
/// (AS-B) gives the access token at most the ID-JAG's, narrowed by the request and by its own types
/// and policies, and refuses anything wider with `invalid_authorization_details`.
@Suite struct IDJAGRichAuthorizationTests {
    typealias F = ChainingFixture
    typealias E = IDJAGEndpointTests

    /// B delegates only `read_balances` to `app`, and knows no `payment_initiation`.
    static let balancesOnly = """
        permit (
          principal == Tessera::Client::"app",
          action == BankA::Action::"read_balances",
          resource == BankA::"https://example.com/accounts"
        );
        """

    /// A issues `app` ID-JAGs carrying the bank's types (A's delegation: list_accounts, read_balances, initiate, status);
    /// B knows `account_information` only, delegating `read_balances`.
    static func make(
        configureA: @escaping (inout ServerConfiguration) -> Void = { _ in },
        configureB: @escaping (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> ChainingFixture {
        try await E.make(
            configureA: { configuration in
                configuration.authorizationDetailsTypes = BankFixtures.detailTypes(client: "app")
                // An ID-JAG for B may carry these types, as it may carry read and write (a type needs a permit too).
                configuration.chaining.peers[0].idJAG?.scopes = Scope([
                    "read", "write", "payment_initiation", "account_information", "customer_information",
                ])
                configureA(&configuration)
            },
            configureB: { configuration in
                configuration.authorizationDetailsTypes = [
                    AuthorizationDetailsTypeDefinition(
                        type: "account_information",
                        cedar: .init(schema: SeedFigures.bankSchema, policies: balancesOnly)
                    )
                ]
                configureB(&configuration)
            }
        )
    }

    /// One `account_information` entry permitting `actions` on the bank's accounts for the figures' user.
    static func accountsEntry(_ actions: [String]) -> [String: Any] {
        let list = actions.map { "BankA::Action::\"\($0)\"" }.joined(separator: ", ")
        return [
            "type": "account_information", "rarFormat": "cedar",
            "policySet": """
            permit (
              principal == BankA::User::"\(SeedFigures.user)",
              action in [\(list)],
              resource == BankA::"https://example.com/accounts"
            );
            """,
        ]
    }

    static func json(_ entries: [[String: Any]]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: entries), as: UTF8.self)
    }

    /// The figures' payment entry (initiate, status, cancel).
    static func paymentEntry() throws -> [String: Any] {
        let entries = try JSONSerialization.jsonObject(with: Data(SeedFigures.json(SeedFigures.figure2).utf8)) as! [[String: Any]]
        return entries[0]
    }

    static let everyAccountAction = ["list_accounts", "read_balances", "read_transactions"]

    static func details(_ json: [String: Any]) -> [[String: Any]] { json["authorization_details"] as? [[String: Any]] ?? [] }

    static func policySet(_ entries: [[String: Any]], type: String) -> String? {
        entries.first { $0["type"] as? String == type }?["policySet"] as? String
    }

    static func allows(_ policySet: String?, _ action: String) throws -> Bool {
        guard let policySet else { return false }
        return try BankFixtures.allows(policySet, BankFixtures.accountRequest(action: action))
    }

    /// The ID-JAG's claims' entries, as JSON objects.
    static func claimDetails(_ token: String) throws -> [[String: Any]] {
        let payload = try CompactJWS(parsing: token).payload
        let object = try JSONSerialization.jsonObject(with: payload) as? [String: Any] ?? [:]
        return details(object)
    }

    static func requestIDJAG(
        _ a: any TestClientProtocol,
        _ fixture: ChainingFixture,
        _ entries: [[String: Any]]
    ) async throws -> F.Response {
        try await E.requestIDJAG(
            a,
            idToken: try await E.idToken(fixture),
            extra: [("resource", E.resource), ("scope", "read"), ("authorization_details", try json(entries))]
        )
    }

    // MARK: - Both legs

    @Test func detailsGrantedAtTheIdPReachTheAccessTokenNarrowed() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            // It was invalid_authorization_details "are not carried into an ID-JAG here".
            let issued = try await Self.requestIDJAG(a, fixture, [Self.accountsEntry(Self.everyAccountAction)])
            #expect(issued.status == .ok, "\(issued.json)")
            // A's delegation policies drop read_transactions; the response says so (§4.3.4: MUST when changed).
            let atIdP = Self.policySet(Self.details(issued.json), type: "account_information")
            #expect(try Self.allows(atIdP, "list_accounts") && Self.allows(atIdP, "read_balances"))
            #expect(try !Self.allows(atIdP, "read_transactions"))
            let grant = try #require(issued.json["access_token"] as? String)
            // §4.3.3 rule 4: the ID-JAG carries the granted entries, as the response states them.
            #expect(Self.policySet(try Self.claimDetails(grant), type: "account_information") == atIdP)

            // Nothing asked at B: the ID-JAG's entries, narrowed by B's own delegation (read_balances only).
            let redeemed = try await E.redeem(b, grant)
            #expect(redeemed.status == .ok, "\(redeemed.json)")
            let atRAS = Self.policySet(Self.details(redeemed.json), type: "account_information")
            #expect(try Self.allows(atRAS, "read_balances"))
            #expect(try !Self.allows(atRAS, "list_accounts") && !Self.allows(atRAS, "read_transactions"))
            let token = try #require(redeemed.json["access_token"] as? String)
            #expect(Self.policySet(try Self.claimDetails(token), type: "account_information") == atRAS)
            let introspected = try await IntrospectionAuthorizationTests.introspect(b, token, as: "app")
            #expect(introspected["active"] as? Bool == true, "\(introspected)")
            #expect(Self.policySet(Self.details(introspected), type: "account_information") == atRAS)
        }
    }

    @Test func aRedemptionAskingWiderDetailsThanTheIDJAGCarriesIsRefused() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            let grant = try #require(
                try await Self.requestIDJAG(a, fixture, [Self.accountsEntry(Self.everyAccountAction)]).json["access_token"] as? String
            )
            // The entry as first asked (read_transactions, which A refused) is not within the ID-JAG's.
            let wider = try await E.redeem(
                b,
                grant,
                extra: [("resource", E.resource), ("authorization_details", try Self.json([Self.accountsEntry(Self.everyAccountAction)]))]
            )
            #expect(wider.status == .badRequest && wider.error == "invalid_authorization_details", "\(wider.json)")
            #expect(wider.json["access_token"] == nil)

            // An ID-JAG that carries none yields none: asking for some is refused.
            let bare = try await E.idJAG(a, fixture)
            let smuggled = try await E.redeem(
                b,
                bare,
                extra: [("resource", E.resource), ("authorization_details", try Self.json([Self.accountsEntry(["read_balances"])]))]
            )
            #expect(smuggled.error == "invalid_authorization_details", "\(smuggled.json)")
            let plain = try await E.redeem(b, bare)
            #expect(plain.status == .ok, "\(plain.json)")
            #expect(plain.json["authorization_details"] == nil)

            // The refused redemption did not spend the grant: redeemed within its details, it yields a token.
            let within = try await E.redeem(b, grant)
            #expect(within.status == .ok, "\(within.json)")
        }
    }

    @Test func aTypeTheResourceASDoesNotKnowIsRefusedUnlessLeftOut() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            let issued = try await Self.requestIDJAG(a, fixture, [Self.accountsEntry(["read_balances"]), try Self.paymentEntry()])
            #expect(issued.status == .ok, "\(issued.json)")
            let carried = Self.details(issued.json)
            #expect(carried.count == 2)
            let grant = try #require(issued.json["access_token"] as? String)
            // B knows no payment_initiation: carrying it through would grant what B cannot decide.
            let unknown = try await E.redeem(b, grant)
            #expect(unknown.error == "invalid_authorization_details", "\(unknown.json)")
            #expect(unknown.description.contains("payment_initiation"))
            // The client asks for the one entry B knows, as the ID-JAG carries it: that alone is granted.
            let accounts = try #require(carried.first { $0["type"] as? String == "account_information" })
            let narrowed = try await E.redeem(
                b,
                grant,
                extra: [("resource", E.resource), ("authorization_details", try Self.json([accounts]))]
            )
            #expect(narrowed.status == .ok, "\(narrowed.json)")
            #expect(Self.details(narrowed.json).map { $0["type"] as? String } == ["account_information"])
        }
    }

    @Test func theIdPDecidesTheDetailsAsEveryGrantDoes() async throws {
        let owner = try OwnerPolicy(
            text: "forbid (principal, action, resource == Scope::\"payment_initiation\");",
            source: "owner.cedar"
        )
        let fixture = try await Self.make(configureA: { $0.policy = owner })
        try await fixture.run { a, _ in
            // A type the IdP does not know.
            let unknown = try await Self.requestIDJAG(a, fixture, [["type": "weather_tools", "actions": ["read"]]])
            #expect(unknown.status == .badRequest && unknown.error == "invalid_authorization_details", "\(unknown.json)")
            // A Cedar set none of whose actions A's delegation policies give this client.
            let nothing = try await Self.requestIDJAG(a, fixture, [Self.accountsEntry(["read_transactions"])])
            #expect(nothing.error == "invalid_authorization_details", "\(nothing.json)")
            // The owner's forbid on a type holds at this door too (the type question to the one decision point).
            let forbidden = try await Self.requestIDJAG(a, fixture, [try Self.paymentEntry()])
            #expect(forbidden.error == "invalid_authorization_details", "\(forbidden.json)")
            #expect(forbidden.description.contains("owner.cedar"))
            for refused in [unknown, nothing, forbidden] { #expect(refused.json["access_token"] == nil) }
        }
    }

    @Test func theResourceASOwnersForbidOnATypeHolds() async throws {
        let owner = try OwnerPolicy(
            text: "forbid (principal, action, resource == Scope::\"account_information\");",
            source: "owner.cedar"
        )
        let fixture = try await Self.make(configureB: { $0.policy = owner })
        try await fixture.run { a, b in
            let grant = try #require(
                try await Self.requestIDJAG(a, fixture, [Self.accountsEntry(["read_balances"])]).json["access_token"] as? String
            )
            let refused = try await E.redeem(b, grant)
            #expect(refused.error == "invalid_authorization_details", "\(refused.json)")
        }
    }

    @Test func anIDJAGWhoseDetailsWereWidenedFailsItsSignature() async throws {
        let fixture = try await Self.make()
        try await fixture.run { a, b in
            let grant = try #require(
                try await Self.requestIDJAG(a, fixture, [Self.accountsEntry(["read_balances"])]).json["access_token"] as? String
            )
            let parts = grant.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            var payload = try JSONSerialization.jsonObject(with: Base64URL.decode(parts[1])!) as! [String: Any]
            payload["authorization_details"] = [Self.accountsEntry(Self.everyAccountAction)]
            let widened = [parts[0], Base64URL.encode(try JSONSerialization.data(withJSONObject: payload)), parts[2]].joined(separator: ".")
            let refused = try await E.redeem(b, widened)
            #expect(refused.status == .badRequest && refused.error == "invalid_grant", "\(refused.json)")
        }
    }
}
