import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Issue 19, a person's withdrawal through the one revocation entry: withdrawing an approved GNAP grant on
/// `/account` finalizes it (RFC 9635 §1.5) and revokes every token issued under it and every token derived
/// from those (RFC 9767 §4 derived tokens, at any depth; an OAuth
/// client cannot exchange a GNAP instance's token, the holders being different name spaces), at both doors' introspection on
/// the very next request. A person withdraws only a grant they approved.
extension TwoDoorsTests {
    /// The GNAP grant identifiers in the account page's withdraw forms.
    static func grantIDs(_ body: String) -> [String] {
        body.components(separatedBy: "action=\"/account/grants/").dropFirst().map { String($0.prefix { $0 != "/" }) }
    }

    /// Whether `token` is active at OAuth `/introspect` (RFC 7662) and at GNAP introspection (RFC 9767 §3.3).
    func activeAtBothDoors(_ client: any TestClientProtocol, _ app: TesseraApplication, _ token: String) async throws -> [Bool?] {
        [
            try await TokenLedgerTests.oauthIntrospect(client, token)["active"] as? Bool,
            try await gnapIntrospect(client, app, token)["active"] as? Bool,
        ]
    }

    @Test func withdrawingAGrantOnTheAccountPageRevokesEveryTokenDerivedFromIt() async throws {
        let app = try await app()
        try await app.application.test(.router) { client in
            let approved = try await gnapToken(Case(rights: .located, flow: .authorizationCode, binding: .bearer), client, app)
            let derived = try await derive(client, app, from: approved)
            // A derived token's own derivation: the edge is followed at any depth.
            let tokens = [approved, derived, try await derive(client, app, from: derived)]
            // An instance's own grant, which no person approved: no one's to withdraw.
            let own = try await gnapParent(client, app)
            let ownID = String(own.grant.split(separator: "/").last ?? "")

            let alice = AuthorizationCodeFlowTests.Browser(client)
            try await alice.signIn()
            let account = try await alice.request("/account")
            let id = try #require(Self.grantIDs(account.body).first, "\(account.body)")
            #expect(Self.grantIDs(account.body) == [id])

            // Bob is signed in with a valid CSRF token, but the grant is Alice's; Alice cannot take the instance's.
            let bob = AuthorizationCodeFlowTests.Browser(client)
            try await bob.signIn(username: "bob", password: "bob-password")
            let bobAccount = try await bob.request("/account")
            let stolen = try await bob.request("/account/grants/\(id)/withdraw", method: .post, form: [("csrf", bobAccount.csrf ?? "")])
            #expect(stolen.status == .notFound)
            let instances = try await alice.request(
                "/account/grants/\(ownID)/withdraw",
                method: .post,
                form: [("csrf", account.csrf ?? "")]
            )
            #expect(instances.status == .notFound)
            for token in tokens + [own.value] { #expect(try await activeAtBothDoors(client, app, token) == [true, true]) }

            let withdrawn = try await alice.request("/account/grants/\(id)/withdraw", method: .post, form: [("csrf", account.csrf ?? "")])
            #expect(withdrawn.status == .ok)
            #expect(Self.grantIDs(withdrawn.body).isEmpty)
            for (index, token) in tokens.enumerated() {
                #expect(try await activeAtBothDoors(client, app, token) == [false, false], "token \(index)")
            }
            #expect(try await activeAtBothDoors(client, app, own.value) == [true, true])

            let twice = try await alice.request("/account/grants/\(id)/withdraw", method: .post, form: [("csrf", account.csrf ?? "")])
            #expect(twice.status == .notFound, "finalized: nothing left to withdraw")
        }
    }
}
