import Foundation
import TesseraProtocol
import TesseraStorage

/// Verifies the evidence JWT of a challenge retry for one of the ``ChallengeRequirement`` types.
struct EvidenceVerifier {
    let service: ClientChallengeService
    let client: AuthenticatedClient
    /// The rights the token will carry, which a user mandate must cover.
    let rights: ChallengedRights
    let nonce: String
    let challengedAt: Date

    struct Claims: Decodable {
        var iss: String?
        var sub: String?
        var aud: Audience?
        var iat: Int?
        var exp: Int?
        var nbf: Int?
        var jti: String?
        var nonce: String?
        var clientID: String?
        var azp: String?
        var scope: String?
        var authorizationDetails: JSONValue?

        enum CodingKeys: String, CodingKey {
            case iss, sub, aud, iat, exp, nbf, jti, nonce, azp, scope
            case clientID = "client_id"
            case authorizationDetails = "authorization_details"
        }
    }

    /// - Throws: ``OAuthError`` whose message says what is wrong with the evidence.
    func verify(_ evidence: String, type: String) async throws {
        guard evidence.utf8.count <= CompactJWS.maximumSize, let jws = try? CompactJWS(parsing: evidence) else {
            throw OAuthError.invalidRequest("it is not a compact JWS")
        }
        // A third party's claims, compared with this client and request: NFC, as every peer JWT's (``JWTClaimSet``).
        do { _ = try JWTClaimSet(payload: jws.payload) } catch { throw OAuthError.invalidRequest("its claims: \(error.message)") }
        guard let claims = try? JSONDecoder().decode(Claims.self, from: jws.payload), let issuer = claims.iss else {
            throw OAuthError.invalidRequest("its payload is not a JSON object with 'iss'")
        }
        switch type {
        case ChallengeRequirement.clientAttestation:
            let verifier: JWSVerifier
            if let attester = service.attesters[issuer] {
                guard claims.sub == client.id else { throw OAuthError.invalidRequest("the attestation's 'sub' is not this client") }
                verifier = attester
            } else if issuer == client.id, service.attesters.isEmpty {
                // The client vouching for itself counts only while the operator trusts no attester:
                // once attesters are configured, the evidence must come from one of them.
                verifier = try await service.authenticator.keyVerifier(
                    record: client.record,
                    fromMetadataDocument: client.metadata != nil,
                    kid: jws.header.kid
                )
            } else if issuer == client.id {
                throw OAuthError.invalidRequest(
                    "it is signed by the client itself, but this server accepts attestations only from its configured attesters"
                )
            } else {
                throw OAuthError.invalidRequest("it is signed neither by a trusted attester nor by the client")
            }
            try check(jws, with: verifier)
            guard claims.nonce == nonce else { throw OAuthError.invalidRequest("its 'nonce' is not the challenge's") }
        case ChallengeRequirement.userMandate:
            guard let verifier = service.mandateIssuers[issuer] else {
                throw OAuthError.invalidRequest("its issuer '\(issuer.prefix(100))' is not a trusted mandate issuer")
            }
            try check(jws, with: verifier)
            guard claims.clientID == client.id || claims.azp == client.id else {
                throw OAuthError.invalidRequest("it does not name this client in 'client_id' or 'azp'")
            }
            let granted = Set((claims.scope ?? "").split(separator: " ").map(String.init))
            guard Set(rights.scope).isSubset(of: granted) else {
                throw OAuthError.invalidRequest("it does not cover the requested scope '\(rights.scopeText ?? "")'")
            }
            try checkDetails(claims.authorizationDetails)
            let afterChallenge =
                claims.iat.map { Double($0) >= challengedAt.timeIntervalSince1970 - service.configuration.clockSkew } ?? false
            guard claims.nonce == nonce || (claims.nonce == nil && afterChallenge) else {
                throw OAuthError.invalidRequest("it is not fresh: neither the challenge's 'nonce' nor issued after the challenge")
            }
        default:
            throw OAuthError.invalidRequest("requirement type \(type) has no verifier")
        }
        try checkLifetime(claims)
        guard let jti = claims.jti, !jti.isEmpty, jti.utf8.count <= 256 else {
            throw OAuthError.invalidRequest("it needs a 'jti' of at most 256 bytes")
        }
        let fresh = try await service.replay.insertIfAbsent(
            namespace: "challenge_evidence:\(issuer)",
            value: jti,
            expiresAt: Date(timeIntervalSince1970: Double(claims.exp ?? 0) + service.configuration.clockSkew),
            now: service.now()
        )
        guard fresh else { throw OAuthError.invalidRequest("its 'jti' was already used") }
    }

    /// A mandate for a request with `authorization_details` must name details that cover them (RFC 9396 §7:
    /// each requested entry within a mandated entry of its type, a mandated `amount` a ceiling); one naming none
    /// mandates none of them (review round 10, H3: a mandate for €10 answered a challenge raised by €900,000).
    /// - Parameter mandated: the mandate's `authorization_details` claim.
    /// - Throws: ``OAuthError`` saying what is not covered.
    private func checkDetails(_ mandated: JSONValue?) throws(OAuthError) {
        guard let asked = rights.authorizationDetails, !asked.isEmpty else { return }
        guard let mandated else {
            throw OAuthError.invalidRequest("it names no authorization_details, and the request's must be mandated (RFC 9396 §7)")
        }
        guard case .array(let entries) = mandated else {
            throw OAuthError.invalidRequest("its authorization_details is not a JSON array (RFC 9396 §2)")
        }
        do { _ = try service.authorizationDetails.narrow(asked, within: entries, amountsAsCeilings: true) } catch {
            throw OAuthError.invalidRequest("its authorization_details do not cover the request's: \(error.message)")
        }
    }

    private func check(_ jws: CompactJWS, with verifier: JWSVerifier) throws(OAuthError) {
        do { _ = try verifier.verify(jws) } catch { throw OAuthError.invalidRequest("its signature does not verify: \(error.message)") }
    }

    private func checkLifetime(_ claims: Claims) throws(OAuthError) {
        let configuration = service.configuration
        // The issuer as the sole audience (draft-ietf-oauth-rfc7523bis): evidence addressed to several
        // parties could have been relayed from any of them.
        guard claims.aud?.values == [service.issuer] else {
            throw OAuthError.invalidRequest("its 'aud' must be this authorization server's issuer, as its only value")
        }
        let current = service.now().timeIntervalSince1970
        guard let exp = claims.exp, let iat = claims.iat else { throw OAuthError.invalidRequest("it needs 'iat' and 'exp'") }
        guard Double(exp) + configuration.clockSkew > current else { throw OAuthError.invalidRequest("it has expired") }
        guard Double(iat) <= current + configuration.clockSkew else { throw OAuthError.invalidRequest("its 'iat' is in the future") }
        guard current - Double(iat) <= configuration.maximumEvidenceAge + configuration.clockSkew,
            Double(exp - iat) <= configuration.maximumEvidenceAge
        else { throw OAuthError.invalidRequest("it is older or lives longer than \(Int(configuration.maximumEvidenceAge)) s") }
        if let nbf = claims.nbf, Double(nbf) > current + configuration.clockSkew {
            throw OAuthError.invalidRequest("it is not valid yet ('nbf')")
        }
    }
}
