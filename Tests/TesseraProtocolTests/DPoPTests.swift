import Crypto
import Foundation
import TesseraProtocol
import Testing

/// DPoP primitives (RFC 9449): the RFC's own values, URI normalization, nonces, proof round trips.
@Suite struct DPoPTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func rfcExampleThumbprintAndAccessTokenHash() throws {
        let key = PublicJWK(
            kty: "EC",
            crv: "P-256",
            x: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"
        )
        #expect(try key.thumbprint() == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
        #expect(
            DPoPProofVerifier.accessTokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
                == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        )
    }

    @Test func uriNormalization() {
        #expect(DPoPProofVerifier.normalizedURI("HTTPS://Server.Example.COM:443/token?x=1#f") == "https://server.example.com/token")
        #expect(DPoPProofVerifier.normalizedURI("http://a.example:80") == "http://a.example/")
        #expect(DPoPProofVerifier.normalizedURI("http://a.example:8080/t") == "http://a.example:8080/t")
        #expect(DPoPProofVerifier.normalizedURI("https://a.example/T") != DPoPProofVerifier.normalizedURI("https://a.example/t"))
        #expect(DPoPProofVerifier.normalizedURI("ftp://a.example/t") == nil)
        #expect(DPoPProofVerifier.normalizedURI("https://user:pw@a.example/t") == nil)
    }

    @Test func signerProofsVerifyAndBindAth() async throws {
        let signer = DPoPProofSigner()
        let verifier = DPoPProofVerifier()
        let proof = signer.proof(method: "GET", uri: "https://rs.example/data?q=1", accessToken: "tok", nonce: "n1", now: now)
        let verified = try await verifier.verify(proof, method: "GET", uri: "https://rs.example/data", accessToken: "tok", now: now)
        #expect(verified.jkt == signer.thumbprint)
        #expect(verified.nonce == "n1")
        #expect(verified.htu == "https://rs.example/data")
        await #expect(throws: OAuthError(.invalidDPoPProof, "")) {
            try await verifier.verify(proof, method: "GET", uri: "https://rs.example/data", accessToken: "another-token", now: now)
        }
        let noAth = signer.proof(method: "GET", uri: "https://rs.example/data", now: now)
        await #expect(throws: OAuthError(.invalidDPoPProof, "")) {
            try await verifier.verify(noAth, method: "GET", uri: "https://rs.example/data", accessToken: "tok", now: now)
        }
    }

    @Test func algorithmPolicyIsEnforced() async throws {
        let proof = DPoPProofSigner().proof(method: "POST", uri: "https://as.example/token", now: now)
        let edOnly = DPoPProofVerifier(allowedAlgorithms: [.edDSA])
        await #expect(throws: OAuthError(.invalidDPoPProof, "")) {
            try await edOnly.verify(proof, method: "POST", uri: "https://as.example/token", now: now)
        }
        // A MAC algorithm can never be allowed, even when asked for.
        #expect(!DPoPProofVerifier(allowedAlgorithms: ["HS256", .es256]).allowedAlgorithms.contains("HS256"))
    }

    @Test func noncesLiveOneToTwoPeriodsAndNeedTheSecret() {
        let nonces = DPoPNonces(secret: Data(repeating: 7, count: 32), period: 60)
        let other = DPoPNonces(secret: Data(repeating: 8, count: 32), period: 60)
        let start = Date(timeIntervalSince1970: 6_000)
        let nonce = nonces.current(now: start)
        #expect(nonces.isValid(nonce, now: start))
        #expect(nonces.isValid(nonce, now: start.addingTimeInterval(119)))
        #expect(!nonces.isValid(nonce, now: start.addingTimeInterval(120)))
        #expect(!other.isValid(nonce, now: start))
        #expect(!nonces.isValid("garbage", now: start))
        var tampered = Array(nonce)
        tampered[tampered.count - 1] = tampered.last == "A" ? "B" : "A"
        #expect(!nonces.isValid(String(tampered), now: start))
    }
}
