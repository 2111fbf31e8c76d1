// swift-format-ignore-file: NeverForceUnwrap

// Fixtures unwrap literals they were written with, as swift-format already allows in XCTest files.
import Crypto
import Foundation
import HTTPMessageSignatures
import Hummingbird
import TesseraClient
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraTesting
import Testing

/// The client SDK meets a client challenge (draft-kahrer-oauth-client-challenge-protocol-00): an
/// agent known only by its metadata document (served on loopback) asks a real Tessera for a DPoP
/// token, is challenged because it is new, answers with a self-attestation and gets the token —
/// and without a responder, gets a typed error.
@Suite struct OAuthClientChallengeTests {
    struct Agent {
        let key = P256.Signing.PrivateKey()
        var publicJWK: PublicJWK {
            let point = key.publicKey.x963Representation.dropFirst()
            return PublicJWK(
                kty: "EC",
                crv: "P-256",
                x: TestClients.base64url(point.prefix(32)),
                y: TestClients.base64url(point.suffix(32)),
                kid: "agent-1",
                alg: "ES256"
            )
        }
        func signer() async throws -> JWSSigner {
            let jwk = publicJWK
            let json =
                #"{"kty":"EC","crv":"P-256","x":"\#(jwk.x ?? "")","y":"\#(jwk.y ?? "")","d":"\#(TestClients.base64url(key.rawRepresentation))"}"#
            return try await JWSSigner(privateJWK: json, kid: "agent-1", algorithm: .es256)
        }
    }

    func withStack(_ body: @escaping @Sendable (_ issuer: String, _ clientID: String, _ agent: Agent) async throws -> Void) async throws {
        let agent = Agent()
        let documentPort = try FreePort.find(host: "127.0.0.1")
        let clientID = "http://127.0.0.1:\(documentPort)/agent.json"
        let document = """
            {"client_id": "\(clientID)", "token_endpoint_auth_method": "private_key_jwt", "grant_types": ["client_credentials"],
             "scope": "payments", "jwks": {"keys": [\(String(decoding: try JSONEncoder().encode(agent.publicJWK), as: UTF8.self))]},
             "insufficient_client_authorization_supported": true}
            """
        let router = Router()
        router.get("agent.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: document)))
        }
        let documents = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: documentPort)))
        let asApp = try await TestServer.build(configure: { configuration in
            configuration.clientMetadataDocumentsEnabled = true
            configuration.clientMetadata.allowHTTP = true
            configuration.clientMetadata.allowedScopes = ["payments"]
            configuration.outboundPolicy = OutboundAddressPolicy(allowedNetworks: [IPNetwork("127.0.0.1/32")!])
            configuration.clientChallenges.policy = """
                @challenge("\(ChallengeRequirementTypes.clientAttestation)")
                forbid(principal, action, resource) when { context.client_age_seconds < 600 };
                """
        })
        let issuer = asApp.engine.configuration.issuer
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await asApp.application.runService() }
            group.addTask { try await documents.runService() }
            defer { group.cancelAll() }
            try await OAuthResourceServerTests.waitUntilServing(
                issuer + "/.well-known/oauth-authorization-server",
                AsyncHTTPClientTransport()
            )
            try await OAuthResourceServerTests.waitUntilServing(clientID, AsyncHTTPClientTransport())
            try await body(issuer, clientID, agent)
        }
    }

    @Test func theSDKAnswersAnAttestationChallengeAndGetsADPoPToken() async throws {
        try await withStack { issuer, clientID, agent in
            let signer = try await agent.signer()
            let dpop = DPoPProofSigner()
            let client = OAuthClient(
                tokenEndpoint: issuer + "/token",
                clientID: clientID,
                authentication: .privateKeyJWT(signer, issuer: issuer),
                dpop: dpop,
                challengeResponders: [SelfAttestationResponder(signer: signer)]
            )
            let token = try await client.clientCredentials(scope: "payments")
            #expect(token.tokenType == "DPoP")
            let claims = try JSONDecoder().decode(AccessTokenClaims.self, from: try CompactJWS(parsing: token.accessToken).payload)
            #expect(claims.cnf?.jkt == dpop.thumbprint, "the token is bound to the key the challenged request proved")
            #expect(claims.clientID == clientID)
        }
    }

    @Test func withoutAResponderTheChallengeIsATypedError() async throws {
        try await withStack { issuer, clientID, agent in
            let client = OAuthClient(
                tokenEndpoint: issuer + "/token",
                clientID: clientID,
                authentication: .privateKeyJWT(try await agent.signer(), issuer: issuer)
            )
            do {
                _ = try await client.clientCredentials(scope: "payments")
                Issue.record("a challenge without a responder must fail")
            } catch let error as UnsatisfiedClientChallenge {
                #expect(error.challenge.requirementType == ChallengeRequirementTypes.clientAttestation)
                #expect(error.reason.contains("no responder"))
            }
        }
    }

    @Test func aSessionIsBoundToTheDPoPKeyOfTheChallengedRequest() async throws {
        try await withStack { issuer, clientID, agent in
            let signer = try await agent.signer()
            let transport = AsyncHTTPClientTransport()
            func post(_ form: [(String, String)], dpop: DPoPProofSigner) async throws -> (Int, [String: JSONValue]) {
                let issuedAt = Date().timeIntervalSince1970.rounded(.down)
                let assertion = try signer.sign(
                    [
                        "iss": .string(clientID), "sub": .string(clientID), "aud": .string(issuer), "jti": .string(UUID().uuidString),
                        "iat": .number(issuedAt), "exp": .number(issuedAt + 60),
                    ] as [String: JSONValue],
                    type: nil
                )
                let body = FormParameters(
                    form + [
                        ("grant_type", "client_credentials"), ("scope", "payments"), ("client_id", clientID),
                        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                        ("client_assertion", assertion),
                    ]
                ).encoded
                let request = try HTTPSignatureRequest(
                    method: "POST",
                    targetURI: issuer + "/token",
                    headerFields: [
                        HTTPSignatureField(name: "Content-Type", value: "application/x-www-form-urlencoded"),
                        HTTPSignatureField(
                            name: "DPoP",
                            value: dpop.proof(method: "POST", uri: issuer + "/token", accessToken: nil, nonce: nil, now: Date())
                        ),
                    ],
                    body: Array(body.utf8)
                )
                let response = try await transport.send(request)
                return (response.status, (try? JSONDecoder().decode([String: JSONValue].self, from: Data(response.body))) ?? [:])
            }
            let original = DPoPProofSigner()
            let (status, challenge) = try await post([], dpop: original)
            #expect(status == 403)
            guard case .string(let session) = challenge["challenge_session"],
                case .object(let requirement) = challenge["authorization_requirement"],
                let evidence = try? await SelfAttestationResponder(signer: signer).evidence(for: requirement, clientID: clientID)
            else {
                Issue.record("no challenge: \(challenge)")
                return
            }
            let (stolen, refusal) = try await post(
                [("challenge_session", session), ("challenge_evidence", evidence)],
                dpop: DPoPProofSigner()
            )
            #expect(stolen == 400)
            #expect(refusal["error_description"].map { "\($0)".contains("key") } == true, "\(refusal)")
        }
    }
}
