import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// The token store as opened, except that an armed step runs once before the next issuance is recorded: another request
/// lands between a redemption's check of its code and the commit of its tokens, every time.
struct RacingTokenStore: TokenStore {
    let inner: any TokenStore
    let step: RacingGNAPStore.Step

    func record(_ issuance: TokenIssuance) async throws {
        try await step.runOnce()
        try await inner.record(issuance)
    }
    func record(_ issuance: TokenIssuance, spending spend: SingleUseSpend) async throws -> Bool {
        try await inner.record(issuance, spending: spend)
    }
    func record(_ issuance: TokenIssuance, redeemingCode hash: String, at now: Date) async throws -> Bool {
        try await step.runOnce()
        return try await inner.record(issuance, redeemingCode: hash, at: now)
    }
    func accessToken(jti: String) async throws -> AccessTokenRecord? { try await inner.accessToken(jti: jti) }
    func refreshToken(hash: String) async throws -> RefreshTokenRecord? { try await inner.refreshToken(hash: hash) }
    func rotateRefreshToken(hash: String, at now: Date, replacement: TokenIssuance) async throws -> RefreshRotation {
        try await inner.rotateRefreshToken(hash: hash, at: now, replacement: replacement)
    }
    func revokeGrant(id: String, at now: Date) async throws -> Int { try await inner.revokeGrant(id: id, at: now) }
    func revokeAccessToken(jti: String, at now: Date) async throws -> Bool { try await inner.revokeAccessToken(jti: jti, at: now) }
    func descendants(of jti: String) async throws -> [AccessTokenRecord] { try await inner.descendants(of: jti) }
    func revokeTokens(clientID: String, at now: Date) async throws -> Int { try await inner.revokeTokens(clientID: clientID, at: now) }
    func deleteExpired(before date: Date) async throws -> Int { try await inner.deleteExpired(before: date) }
}

/// The authorization-code store as opened, except that an armed step runs once before the next code is created under a
/// consent: the person withdraws the consent between the silent `/authorize`'s read of it and the code's creation.
struct RacingCodeStore: AuthorizationCodeStore {
    let inner: any AuthorizationCodeStore
    let step: RacingGNAPStore.Step

    func createRequest(_ request: AuthorizationRequestRecord) async throws { try await inner.createRequest(request) }
    func request(idHash: String, at now: Date) async throws -> AuthorizationRequestRecord? {
        try await inner.request(idHash: idHash, at: now)
    }
    func consumeRequest(idHash: String, at now: Date) async throws -> AuthorizationRequestRecord? {
        try await inner.consumeRequest(idHash: idHash, at: now)
    }
    func createCode(_ code: AuthorizationCodeRecord) async throws { try await inner.createCode(code) }
    func createCode(_ code: AuthorizationCodeRecord, underConsent consentID: String) async throws -> Bool {
        try await step.runOnce()
        return try await inner.createCode(code, underConsent: consentID)
    }
    func code(hash: String, at now: Date) async throws -> AuthorizationCodeRecord? { try await inner.code(hash: hash, at: now) }
    func redeemCode(hash: String, at now: Date) async throws -> CodeRedemption { try await inner.redeemCode(hash: hash, at: now) }
    func deleteExpiredAuthorizations(before cutoff: Date) async throws -> Int {
        try await inner.deleteExpiredAuthorizations(before: cutoff)
    }
    func createConsent(_ consent: ConsentRecord) async throws { try await inner.createConsent(consent) }
    func consents(subject: String) async throws -> [ConsentRecord] { try await inner.consents(subject: subject) }
    func withdrawConsent(id: String, subject: String, at now: Date) async throws -> [String]? {
        try await inner.withdrawConsent(id: id, subject: subject, at: now)
    }
}

/// Thirteenth review, J5: a replayed authorization code, or a withdrawn consent, landing between a redemption's two steps
/// must not leave the redemption's tokens alive (RFC 6749 §4.1.2, RFC 9700 §4.5).
@Suite struct CodeRedemptionRaceTests {
    typealias Flow = AuthorizationCodeFlowTests
    let clock = TestClock()
    var basic: String { TestClients.basicAuthorization(id: Flow.web, secret: Flow.webSecret) }

    func withApp(
        step: RacingGNAPStore.Step,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let app = try await TestServer.build(
            now: clock.closure,
            configure: Flow.configure,
            database: { opened in
                opened.wrappingStores { stores in
                    var racing = stores
                    racing.tokens = RacingTokenStore(inner: stores.tokens, step: step)
                    racing.authorizationCodes = RacingCodeStore(inner: stores.authorizationCodes, step: step)
                    return racing
                }
            }
        )
        try await app.application.test(.router) { client in try await body(client) }
    }

    static func tokens(_ body: [String: Any]) -> [String: String] {
        body.filter { ["access_token", "refresh_token", "id_token"].contains($0.key) }.compactMapValues { $0 as? String }
    }

    @Test func aReplayBetweenTheCheckOfACodeAndItsTokensLeavesNoTokenAlive() async throws {
        let (basic, step) = (basic, RacingGNAPStore.Step())
        try await withApp(step: step) { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            let code = try #require(Flow.query(try await Flow.approve(browser, Flow.authorizeURI()))["code"])
            let replay = Mutex<(status: Int, tokens: [String: String])?>(nil)
            step.arm {
                let (status, body) = try await Flow.redeem(client, code: code, auth: basic)
                replay.withLock { $0 = (status.code, Self.tokens(body)) }
            }
            let (status, body) = try await Flow.redeem(client, code: code, auth: basic)
            #expect(step.hasRun)
            let inner = try #require(replay.withLock { $0 })
            // Exactly one of the two is told of the replay; whatever either was handed is dead.
            #expect([status.code, inner.status].filter { $0 == 400 }.count == 1)
            for answer in [Self.tokens(body), inner.tokens] {
                for (key, token) in answer {
                    #expect(try await RememberedConsentTests.introspect(client, token, auth: basic) == false, "\(key)")
                }
                if let refresh = answer["refresh_token"] {
                    let (refused, refusedBody) = try await Flow.token(
                        client,
                        [("grant_type", "refresh_token"), ("refresh_token", refresh)],
                        auth: basic
                    )
                    #expect(refused == .badRequest)
                    #expect(refusedBody["error"] as? String == "invalid_grant")
                }
            }
        }
    }

    @Test func aConsentWithdrawnBeforeItsSilentCodeIsCreatedIssuesNoCode() async throws {
        let (basic, step) = (basic, RacingGNAPStore.Step())
        try await withApp(step: step) { client in
            let browser = Flow.Browser(client)
            try await browser.signIn()
            // "Approve all" remembers the consent; the second request is answered without a page.
            let first = try #require(Flow.query(try await Flow.approve(browser, Flow.authorizeURI()))["code"])
            #expect(try await Flow.redeem(client, code: first, auth: basic).0 == .ok)
            step.arm {
                let account = try await browser.request("/account")
                let id = try #require(RememberedConsentTests.consentIDs(account.body).first)
                let withdrawn = try await browser.request(
                    "/account/consents/\(id)/withdraw",
                    method: .post,
                    form: [("csrf", account.csrf ?? "")]
                )
                #expect(withdrawn.status == .ok)
            }
            let (_, silent) = try await RememberedConsentTests.open(browser, Flow.authorizeURI())
            #expect(step.hasRun)
            let answer = Flow.query(try #require(silent.location))
            #expect(answer["code"] == nil, "no code under a withdrawn consent")
            #expect(answer["error"] == "access_denied")
            if let code = answer["code"] {
                let (_, tokens) = try await Flow.redeem(client, code: code, auth: basic)
                if let access = tokens["access_token"] as? String {
                    #expect(try await RememberedConsentTests.introspect(client, access, auth: basic) == false)
                }
            }
        }
    }
}
