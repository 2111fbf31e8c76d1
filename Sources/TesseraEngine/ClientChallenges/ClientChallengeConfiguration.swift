public import Foundation
public import TesseraProtocol

/// How the token endpoint challenges clients (draft-kahrer-oauth-client-challenge-protocol-00).
public struct ClientChallengeConfiguration: Sendable {
    /// The Cedar policy text (see ``ClientChallengePolicy``); `nil` disables challenges.
    public var policy: String?
    /// Where ``policy`` came from, for error messages.
    public var policyFile: String?
    /// How long a `challenge_session` may be answered.
    public var sessionLifetime: TimeInterval = 300
    /// The longest an evidence JWT may live (`exp − iat`), and how old its `iat` may be.
    public var maximumEvidenceAge: TimeInterval = 300
    /// Allowed clock difference for evidence `iat`/`exp`/`nbf`.
    public var clockSkew: TimeInterval = 30
    /// Attesters whose signed statements about a client instance are accepted for
    /// ``ChallengeRequirement/clientAttestation`` (besides the client's own registered keys).
    public var attesters: [TrustedSigner] = []
    /// The users' authorization servers whose signed mandates are accepted for ``ChallengeRequirement/userMandate``.
    public var mandateIssuers: [TrustedSigner] = []

    public init() {}

    /// An issuer and its public keys.
    public struct TrustedSigner: Sendable, Hashable {
        public var issuer: String
        public var jwks: PublicJWKSet
        public init(issuer: String, jwks: PublicJWKSet) {
            self.issuer = issuer
            self.jwks = jwks
        }
    }
}

/// The requirement types Tessera can ask for and verify. The draft defines none, so these are
/// Tessera's own (documented in docs/client-challenge.md).
public enum ChallengeRequirement {
    /// A fresh JWT proving the client instance: signed by a configured attester about the client
    /// (`sub` = `client_id`), or by the client's own registered key (`iss` = `sub` = `client_id`),
    /// with `aud` = our issuer and `nonce` from the requirement.
    public static let clientAttestation = "urn:tessera:params:client-challenge:client-attestation"
    /// A signed assertion from the user's authorization server that names this client (`client_id`
    /// or `azp`), covers the requested scopes, has `aud` = our issuer and is fresh (`nonce` from the
    /// requirement, or `iat` after the challenge was issued).
    public static let userMandate = "urn:tessera:params:client-challenge:user-mandate"

    public static let all = [clientAttestation, userMandate]

    /// The form parameter that carries the evidence on the retry.
    public static let evidenceParameter = "challenge_evidence"
    /// The form parameter that carries the session on the retry (draft §6).
    public static let sessionParameter = "challenge_session"
}
