import Foundation
import TesseraProtocol
import Testing

@testable import TesseraClient

/// The client SDK's side of the authorization code flow: PKCE S256 as RFC 7636 computes it, and the
/// response checks that are the client's — `state` tampering and mix-up (`iss`, RFC 9207).
@Suite struct AuthorizationCodeFlowClientTests {
    let flow = AuthorizationCodeFlow(
        issuer: "https://as.example",
        authorizationEndpoint: "https://as.example/authorize",
        clientID: "web",
        redirectURI: "https://app.example/cb"
    )

    @Test func theChallengeIsRFC7636sS256() {
        #expect(
            AuthorizationCodeFlow.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
                == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        )
    }

    @Test func theRequestCarriesPKCEStateAndNonceAndIsFreshEachTime() throws {
        let request = flow.start(scope: "openid read", resources: ["https://api.example/"])
        let items = Dictionary(
            uniqueKeysWithValues: (URLComponents(string: request.url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") }
        )
        #expect(items["response_type"] == "code")
        #expect(items["code_challenge_method"] == "S256")
        #expect(items["code_challenge"] == AuthorizationCodeFlow.challenge(for: request.codeVerifier))
        #expect(items["state"] == request.state)
        #expect(items["nonce"] == request.nonce)
        #expect(items["resource"] == "https://api.example/")
        #expect((43...128).contains(request.codeVerifier.count))
        let other = flow.start(scope: "openid read")
        #expect(other.state != request.state && other.codeVerifier != request.codeVerifier)
    }

    @Test func aMatchingResponseYieldsTheCode() throws {
        let request = flow.start()
        let code = try flow.code(
            fromCallback: "https://app.example/cb?code=abc&state=\(request.state)&iss=https%3A%2F%2Fas.example",
            for: request
        )
        #expect(code == "abc")
    }

    @Test func aTamperedOrMissingStateIsRefused() {
        let request = flow.start()
        #expect(throws: AuthorizationCodeFlow.ResponseError.stateMismatch) {
            try flow.code(fromCallback: "https://app.example/cb?code=abc&state=forged&iss=https%3A%2F%2Fas.example", for: request)
        }
        #expect(throws: AuthorizationCodeFlow.ResponseError.stateMismatch) {
            try flow.code(fromCallback: "https://app.example/cb?code=abc&iss=https%3A%2F%2Fas.example", for: request)
        }
        // An error response with a forged state is not believed either.
        #expect(throws: AuthorizationCodeFlow.ResponseError.stateMismatch) {
            try flow.code(fromCallback: "https://app.example/cb?error=access_denied&state=x&iss=https%3A%2F%2Fas.example", for: request)
        }
    }

    @Test func aMixUpIsRefused() {
        let request = flow.start()
        #expect(throws: AuthorizationCodeFlow.ResponseError.issuerMismatch(received: "https://evil.example")) {
            try flow.code(
                fromCallback: "https://app.example/cb?code=abc&state=\(request.state)&iss=https%3A%2F%2Fevil.example",
                for: request
            )
        }
        #expect(throws: AuthorizationCodeFlow.ResponseError.issuerMismatch(received: nil)) {
            try flow.code(fromCallback: "https://app.example/cb?code=abc&state=\(request.state)", for: request)
        }
    }

    @Test func anErrorResponseIsReportedAfterTheChecks() {
        let request = flow.start()
        #expect(throws: AuthorizationCodeFlow.ResponseError.refused(OAuthError("access_denied", "no"))) {
            try flow.code(
                fromCallback:
                    "https://app.example/cb?error=access_denied&error_description=no&state=\(request.state)&iss=https%3A%2F%2Fas.example",
                for: request
            )
        }
    }
}
