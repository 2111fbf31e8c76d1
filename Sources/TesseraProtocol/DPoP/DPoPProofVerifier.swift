import Crypto
public import Foundation

/// Verifies DPoP proof JWTs (RFC 9449 §4.3) for the authorization server and resource servers.
///
/// Every refusal is an ``OAuthError`` `invalid_dpop_proof` whose description names the failed
/// check. The verifier keeps no state: replay (`jti`) and nonce checks belong to the caller, who
/// owns the cache and the nonce secret (see ``DPoPNonces``).
public struct DPoPProofVerifier: Sendable {
    /// Asymmetric algorithms accepted for proofs (§4.3 step 5: never `none`, never a MAC).
    public let allowedAlgorithms: Set<JWSAlgorithm>
    /// How old a proof may be (by `iat`), in seconds.
    public let maximumAge: TimeInterval
    /// How far in the future `iat` may lie (clock skew), in seconds.
    public let allowedSkew: TimeInterval

    /// JWK members that only private keys carry (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
    static let privateMembers: Set<String> = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]

    public init(
        allowedAlgorithms: Set<JWSAlgorithm> = JWSAlgorithm.asymmetric,
        maximumAge: TimeInterval = 60,
        allowedSkew: TimeInterval = 60
    ) {
        self.allowedAlgorithms = allowedAlgorithms.intersection(JWSAlgorithm.asymmetric)
        self.maximumAge = maximumAge
        self.allowedSkew = allowedSkew
    }

    /// How long a verified proof's `jti` must be remembered to refuse every replay.
    public func replayWindowEnd(for proof: DPoPProof) -> Date {
        proof.issuedAt.addingTimeInterval(maximumAge + 1)
    }

    /// Runs the checks of RFC 9449 §4.3 that need no server state.
    /// - Parameters:
    ///   - headerValues: every `DPoP` header value of the request (step 1: exactly one is allowed).
    ///   - method: the request method (`htm`, step 8).
    ///   - uri: the request URI as the server is known to clients (`htu`, step 9); query and fragment are ignored.
    ///   - accessToken: the access token presented with the proof, at a resource server (`ath`, step 12).
    ///   - now: the time the proof's `iat` is judged against.
    /// - Returns: The verified proof.
    /// - Throws: ``OAuthError`` `invalid_dpop_proof` naming the failed check.
    public func verify(
        headerValues: [String],
        method: String,
        uri: String,
        accessToken: String? = nil,
        now: Date
    ) async throws(OAuthError)
        -> DPoPProof
    {
        guard headerValues.count == 1, let proof = headerValues.first else {
            throw Self.refuse(headerValues.isEmpty ? "the request has no DPoP header" : "the request carries more than one DPoP header")
        }
        return try await verify(proof, method: method, uri: uri, accessToken: accessToken, now: now)
    }

    /// Verifies one proof JWT; see ``verify(headerValues:method:uri:accessToken:now:)``.
    public func verify(
        _ proof: String,
        method: String,
        uri: String,
        accessToken: String? = nil,
        now: Date
    ) async throws(OAuthError)
        -> DPoPProof
    {
        let jws: CompactJWS
        do { jws = try CompactJWS(parsing: proof) } catch { throw Self.refuse("the DPoP proof is not a compact JWS: \(error.message)") }
        guard jws.header.typ?.lowercased() == DPoPProof.type else { throw Self.refuse("the DPoP proof 'typ' must be 'dpop+jwt'") }
        let algorithm = JWSAlgorithm(rawValue: jws.header.alg)
        guard allowedAlgorithms.contains(algorithm) else {
            throw Self.refuse(
                "DPoP proof algorithm '\(Self.printable(jws.header.alg))' is not allowed; use one of \(allowedAlgorithms.map(\.rawValue).sorted().joined(separator: " "))"
            )
        }
        let key = try Self.headerKey(proof)
        let verifier: JWSVerifier
        do {
            var verificationKey = key
            verificationKey.kid = jws.header.kid
            verificationKey.alg = nil
            verificationKey.use = nil
            verifier = try await JWSVerifier(keys: PublicJWKSet(keys: [verificationKey]), allowedAlgorithms: [algorithm])
        } catch {
            throw Self.refuse("the DPoP proof 'jwk' is not a usable \(algorithm) public key: \(error.message)")
        }
        do { _ = try verifier.verify(jws, expectedType: DPoPProof.type) } catch {
            throw Self.refuse("the DPoP proof signature does not verify with its 'jwk': \(error.message)")
        }
        let claims: DPoPProofClaims
        do { claims = try JSONDecoder().decode(DPoPProofClaims.self, from: jws.payload) } catch {
            throw Self.refuse("the DPoP proof needs string 'jti', 'htm', 'htu' and numeric 'iat' claims")
        }
        guard !claims.jti.isEmpty, claims.jti.utf8.count <= 256 else {
            throw Self.refuse("the DPoP proof 'jti' must be 1 to 256 characters")
        }
        guard claims.htm == method else { throw Self.refuse("the DPoP proof 'htm' does not match the request method \(method)") }
        guard let proofURI = Self.normalizedURI(claims.htu), let requestURI = Self.normalizedURI(uri), proofURI == requestURI else {
            throw Self.refuse("the DPoP proof 'htu' does not match the request URI")
        }
        let issuedAt = Date(timeIntervalSince1970: TimeInterval(claims.iat))
        guard issuedAt.timeIntervalSince(now) <= allowedSkew else { throw Self.refuse("the DPoP proof 'iat' lies in the future") }
        guard now.timeIntervalSince(issuedAt) <= maximumAge else {
            throw Self.refuse("the DPoP proof is too old ('iat' more than \(Int(maximumAge)) seconds ago)")
        }
        if let accessToken {
            guard let ath = claims.ath else { throw Self.refuse("the DPoP proof has no 'ath' for the presented access token") }
            guard ConstantTime.equals(Array(ath.utf8), Array(Self.accessTokenHash(accessToken).utf8)) else {
                throw Self.refuse("the DPoP proof 'ath' does not match the presented access token")
            }
        }
        let jkt: String
        do { jkt = try key.thumbprint() } catch { throw Self.refuse("the DPoP proof 'jwk' has no thumbprint: \(error.message)") }
        return DPoPProof(
            jkt: jkt,
            key: key,
            algorithm: algorithm,
            jti: claims.jti,
            htm: claims.htm,
            htu: claims.htu,
            issuedAt: issuedAt,
            nonce: claims.nonce,
            ath: claims.ath
        )
    }

    /// `base64url(SHA-256(ASCII(token)))`, the `ath` claim (RFC 9449 §4.2).
    public static func accessTokenHash(_ token: String) -> String {
        Base64URL.encode(SHA256.hash(data: Data(token.utf8)))
    }

    /// The URI without query and fragment after RFC 3986 §6.2.2–6.2.3 normalization: lower-case
    /// scheme and host, default port removed, empty path as `/` (RFC 9449 §4.3 step 9).
    public static func normalizedURI(_ text: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http",
            let host = components.host?.lowercased(), !host.isEmpty, components.user == nil, components.password == nil
        else { return nil }
        var result = scheme + "://" + (host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host)
        if let port = components.port, !(scheme == "https" && port == 443), !(scheme == "http" && port == 80) {
            result += ":\(port)"
        }
        let path = components.percentEncodedPath
        result += path.isEmpty ? "/" : path
        return result
    }

    /// The `jwk` header member as a public key, refusing private members (§4.3 step 7).
    private static func headerKey(_ proof: String) throws(OAuthError) -> PublicJWK {
        guard let headerPart = proof.split(separator: ".", omittingEmptySubsequences: false).first,
            let bytes = Base64URL.decode(headerPart),
            let header = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any]
        else { throw refuse("the DPoP proof header is not a JSON object") }
        guard let jwk = header["jwk"] as? [String: Any] else { throw refuse("the DPoP proof header has no 'jwk' object") }
        if !privateMembers.isDisjoint(with: jwk.keys) { throw refuse("the DPoP proof 'jwk' contains private key material") }
        guard let data = try? JSONSerialization.data(withJSONObject: jwk), let key = try? JSONDecoder().decode(PublicJWK.self, from: data)
        else {
            throw refuse("the DPoP proof 'jwk' is not a JWK")
        }
        guard JWSAlgorithm.asymmetricKeyTypes.contains(key.kty) else { throw refuse("the DPoP proof 'jwk' has an unsupported 'kty'") }
        return key
    }

    static func refuse(_ message: String) -> OAuthError { OAuthError(.invalidDPoPProof, message) }

    private static func printable(_ value: String) -> String {
        String(value.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F && $0 != "'" }.prefix(32))
    }
}
