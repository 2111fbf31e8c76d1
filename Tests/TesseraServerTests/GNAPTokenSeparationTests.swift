import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// Each token of a multi-token grant is approved as its own token (RFC 9635 §2: a client asks for several access
/// tokens so that each goes only where it is meant to; §5.3: a modification gains no access nobody approved). A
/// modification without interaction keeps the approval only when every token it asks for is within ONE approved
/// token, so two separately approved tokens, for two resource servers, are never merged into one token valid at both
/// (second outside review, G2 remainder).
extension GNAPApprovalStandingTests {
    static let other = "https://other.example/"
    static let writeOther = GNAPAccessRight.object(GNAPAccessObject(type: "photos", actions: ["write"], locations: [other]))

    /// A two-token grant (`a`: read at api.example, `b`: write at other.example), approved out of band by alice.
    func approvedPair(_ party: Party) async throws -> (grantPath: String, continuation: String, answer: GNAPEndpointTests.Exchange) {
        let tokens = GNAPTokenRequests.multiple([.init(access: [Self.read], label: "a"), .init(access: [Self.writeOther], label: "b")])
        let body = try GNAPEndpointTests.grantBody(client: .instance("agent"), tokens: tokens)
        let first = try await GNAPEndpointTests.send(party.client, party.app, party.agent, method: .post, path: "/gnap", body: body)
        let cont = try #require(first.json["continue"] as? [String: Any], "\(first.json)")
        let grantPath = try GNAPRotationSubjectTests.path(cont["uri"], party.app)
        let grantID = String(grantPath.split(separator: "/").last ?? "")
        #expect(try await party.app.engine.gnap.decide(grantID: grantID, approve: true, subject: "alice"))
        clock.advance(by: 6)
        let answer = try await GNAPEndpointTests.send(
            party.client,
            party.app,
            party.agent,
            method: .post,
            path: grantPath,
            body: nil,
            token: GNAPRotationSubjectTests.tokenValue(cont["access_token"])
        )
        #expect(answer.status == .ok, "\(answer.json)")
        let next = try #require(answer.json["continue"] as? [String: Any])
        return (grantPath, try #require(GNAPRotationSubjectTests.tokenValue(next["access_token"])), answer)
    }

    func patch(
        _ party: Party,
        _ grantPath: String,
        _ continuation: String,
        _ tokens: GNAPTokenRequests
    ) async throws
        -> GNAPEndpointTests.Exchange
    {
        clock.advance(by: 6)
        return try await GNAPEndpointTests.send(
            party.client,
            party.app,
            party.agent,
            method: .patch,
            path: grantPath,
            body: try GNAPTestSigner.body(GNAPGrantRequest(accessToken: tokens)),
            token: continuation
        )
    }

    @Test func twoSeparatelyApprovedTokensAreNotMergedWithoutThePerson() async throws {
        try await withParty { party in
            let (grantPath, continuation, answer) = try await approvedPair(party)
            let issued = try #require(answer.json["access_token"] as? [[String: Any]], "\(answer.json)")
            #expect(issued.count == 2)
            let merged = try await patch(party, grantPath, continuation, .single(.init(access: [Self.read, Self.writeOther])))
            #expect(merged.status == .forbidden, "\(merged.json)")
            #expect(GNAPEndpointTests.errorCode(merged.json) == GNAPError.Code.requestDenied.rawValue, "\(merged.json)")
            // The refusal leaves the grant as it was: token `a` still stands at api.example (rs-1).
            #expect(try await active(party, try #require(issued.first?["value"] as? String)))
        }
    }

    /// What stays within one approved token each needs nobody: the same two tokens, one of them narrowed, or one alone.
    @Test func eachTokenWithinOneApprovedTokenStaysApproved() async throws {
        try await withParty { party in
            let (grantPath, continuation, _) = try await approvedPair(party)
            let split = try await patch(
                party,
                grantPath,
                continuation,
                .multiple([.init(access: [Self.read], label: "a"), .init(access: [Self.writeOther], label: "b")])
            )
            #expect(split.status == .ok, "\(split.json)")
            let next = try #require(GNAPRotationSubjectTests.tokenValue((split.json["continue"] as? [String: Any])?["access_token"]))
            let one = try await patch(party, grantPath, next, .single(.init(access: [Self.writeOther])))
            #expect(one.status == .ok, "\(one.json)")
        }
    }
}
