import Foundation
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

@testable import TesseraEngine

/// The AS-A half of "authorization server acting as client" (seed 004 appendix): the key the client
/// proved with its token exchange request is relayed to the peer AS as the grant's `requested_cnf`.
@Suite struct ChainingRelayTests {
    static let secret = TestClients.secret

    func engine() async throws -> GrantEngine {
        let epoch = Fixtures.epoch
        return try await TestServer.build(now: { epoch }) { configuration in
            configuration.clients.append(
                ClientDefinition(
                    id: "app",
                    auth: "client_secret_basic",
                    secret: Self.secret,
                    grantTypes: ["client_credentials", GrantType.tokenExchange.rawValue],
                    scopes: "read"
                )
            )
            configuration.chaining.peers = [TrustConfiguration.Peer(name: "b", issuer: "https://as-b.test")]
        }.engine
    }

    func exchange(_ engine: GrantEngine, confirmation: TesseraProtocol.Confirmation?, audience: String) async throws -> TokenResponse {
        let credentials = ClientCredentials.basic(clientID: "app", secret: Self.secret)
        let subject = try await engine.token(
            form: FormParameters([("grant_type", "client_credentials"), ("scope", "read")]),
            credentials: credentials
        )
        let request = try AccessRequest(
            oauth: FormParameters([
                ("grant_type", GrantType.tokenExchange.rawValue), ("subject_token", subject.accessToken),
                ("subject_token_type", TokenTypeIdentifier.accessToken), ("audience", audience),
            ]),
            grantType: .tokenExchange,
            authorizationDetails: nil
        )
        let client = try await engine.authenticator.authenticate(credentials, allowPublic: false)
        switch try await engine.answer(
            request,
            from: ClientIdentity(.oauth(client), provenKey: confirmation?.jkt.map(ProvenKey.init(dpop:)))
        ) {
        case .granted(let granted): return granted.oauth
        case .denied(let refusal): throw refusal.oauth
        default: throw OAuthError.serverError("the exchange neither granted nor refused")
        }
    }

    @Test func provenKeyIsRelayedAsRequestedCnf() async throws {
        let engine = try await engine()
        let response = try await exchange(
            engine,
            confirmation: TesseraProtocol.Confirmation(jkt: "client-key-thumbprint"),
            audience: "https://as-b.test"
        )
        #expect(response.tokenType == "N_A")
        let claims = try JWTClaimSet(payload: try CompactJWS(parsing: response.accessToken).payload)
        #expect(claims.decode("requested_cnf", as: TesseraProtocol.Confirmation.self)?.jkt == "client-key-thumbprint")
        #expect(claims["cnf"] == nil)
    }

    @Test func bearerExchangeHasNoRequestedCnf() async throws {
        let engine = try await engine()
        let response = try await exchange(engine, confirmation: nil, audience: "https://as-b.test")
        #expect(try JWTClaimSet(payload: try CompactJWS(parsing: response.accessToken).payload)["requested_cnf"] == nil)
    }

    @Test func localExchangeBindsTheNewTokenToTheProvenKey() async throws {
        let engine = try await engine()
        let response = try await exchange(
            engine,
            confirmation: TesseraProtocol.Confirmation(jkt: "k"),
            audience: engine.configuration.issuer
        )
        #expect(response.tokenType == "DPoP")
        let claims = try JWTClaimSet(payload: try CompactJWS(parsing: response.accessToken).payload)
        #expect(claims.decode("cnf", as: TesseraProtocol.Confirmation.self)?.jkt == "k")
        #expect(response.issuedTokenType == TokenTypeIdentifier.accessToken)
    }

    @Test func transcriptionMapsAndFiltersClaims() {
        var transcription = ClaimsTranscription()
        transcription.subjectMap = ["alice": "alice@b"]
        transcription.claims = ["*"]
        transcription.claimPrefix = "a/"
        transcription.remove = ["ssn"]
        let claims = JWTClaimSet([
            "sub": .string("alice"), "ssn": .string("1"), "dept": .string("x"), "scope": .string("read"), "iss": .string("i"),
        ])
        #expect(transcription.subject(of: claims) == "alice@b")
        #expect(transcription.transcribedClaims(of: claims) == ["a/dept": .string("x")])
        transcription.requireSubjectMapping = true
        #expect(transcription.subject(of: JWTClaimSet(["sub": .string("mallory")])) == nil)
        transcription.subjectClaim = "email"
        #expect(transcription.subject(of: JWTClaimSet(["sub": .string("alice")])) == nil)
    }
}
