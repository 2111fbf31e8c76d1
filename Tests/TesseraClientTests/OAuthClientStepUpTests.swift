import Foundation
import TesseraClient
import TesseraProtocol
import TesseraTesting
import Testing

/// The SDK passes a step-up error on whole (RFC 9470 §3, extended to token responses by the ID-JAG
/// draft): the `OAuthError` it throws for `insufficient_user_authentication` carries `acr_values`
/// and `max_age`, so the caller can start the sign-in the server asks for.
@Suite struct OAuthClientStepUpTests {
    /// An AS answering every token request with `error`, serialized as Tessera sends it.
    static func client(answering error: OAuthError) throws -> OAuthClient {
        let body = String(decoding: try JSONEncoder().encode(OAuthErrorBody(error)), as: UTF8.self)
        return OAuthClient(
            tokenEndpoint: "https://idp.example/token",
            clientID: "app",
            dpop: nil,
            transport: StubTransport { _, _ in Stub.json(body, status: 400) }
        )
    }

    static let exchange: [(String, String)] = [
        ("grant_type", GrantType.tokenExchange.rawValue), ("requested_token_type", TokenTypeIdentifier.idJAG),
        ("subject_token", "id-token"), ("subject_token_type", TokenTypeIdentifier.idToken),
    ]

    @Test func theStepUpRequirementReachesTheCaller() async throws {
        let requirement = AuthenticationRequirement(acrValues: ["urn:example:mfa", "phr"], maxAge: 600)
        let client = try Self.client(answering: .insufficientUserAuthentication("sign in again", requirement: requirement))
        do {
            _ = try await client.requestToken(Self.exchange)
            Issue.record("a step-up error was not thrown")
        } catch let error as OAuthError {
            #expect(error.code == .insufficientUserAuthentication)
            #expect(error.message == "sign in again")
            #expect(error.requirement == requirement)
        }
    }

    @Test func onlyTheMembersSentAreReported() async throws {
        let client = try Self.client(answering: .insufficientUserAuthentication("too old", requirement: .init(maxAge: 300)))
        do {
            _ = try await client.requestToken(Self.exchange)
            Issue.record("a step-up error was not thrown")
        } catch let error as OAuthError {
            #expect(error.requirement == AuthenticationRequirement(maxAge: 300))
        }
        // Another error carries no requirement.
        let plain = try Self.client(answering: .invalidGrant("expired"))
        do {
            _ = try await plain.requestToken(Self.exchange)
            Issue.record("an error was not thrown")
        } catch let error as OAuthError {
            #expect(error.code == .invalidGrant)
            #expect(error.requirement == nil)
        }
    }
}
