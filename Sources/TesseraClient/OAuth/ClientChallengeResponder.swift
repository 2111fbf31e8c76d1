public import Foundation
public import TesseraProtocol

/// Supplies evidence for one requirement type of a client challenge
/// (draft-kahrer-oauth-client-challenge-protocol-00 §6). ``OAuthClient`` asks the responder whose
/// ``type`` matches the server's `authorization_requirement.type`.
public protocol ClientChallengeResponder: Sendable {
    /// The requirement type this responder satisfies, e.g. ``ChallengeRequirementTypes/clientAttestation``.
    var type: String { get }
    /// The evidence (a compact JWS) sent back as `challenge_evidence`.
    /// - Parameters:
    ///   - requirement: the `authorization_requirement` object as the server sent it.
    ///   - clientID: the client being challenged.
    /// - Returns: The evidence JWS.
    /// - Throws: When the evidence cannot be produced.
    func evidence(for requirement: [String: JSONValue], clientID: String) async throws -> String
}

/// The requirement types Tessera's authorization server defines (docs/client-challenge.md).
public enum ChallengeRequirementTypes {
    public static let clientAttestation = "urn:tessera:params:client-challenge:client-attestation"
    public static let userMandate = "urn:tessera:params:client-challenge:user-mandate"
}

/// Answers a client-attestation requirement with a JWT signed by the client's own key
/// (`iss` = `sub` = `client_id`, `aud` = the requirement's `audience`, its `nonce`, one minute of life).
public struct SelfAttestationResponder: ClientChallengeResponder {
    public let type = ChallengeRequirementTypes.clientAttestation
    let signer: JWSSigner
    let now: @Sendable () -> Date

    public init(signer: JWSSigner, now: @escaping @Sendable () -> Date = { Date() }) {
        self.signer = signer
        self.now = now
    }

    public func evidence(for requirement: [String: JSONValue], clientID: String) async throws -> String {
        guard case .string(let nonce) = requirement["nonce"], case .string(let audience) = requirement["audience"] else {
            throw OAuthClientError("the attestation requirement has no nonce or audience")
        }
        let issuedAt = now().timeIntervalSince1970.rounded(.down)
        let claims: [String: JSONValue] = [
            "iss": .string(clientID), "sub": .string(clientID), "aud": .string(audience), "nonce": .string(nonce),
            "jti": .string(UUID().uuidString), "iat": .number(issuedAt), "exp": .number(issuedAt + 60),
        ]
        return try signer.sign(claims, type: "JWT")
    }
}

/// Answers a user-mandate requirement by asking the application for a mandate from the user's
/// authorization server (which the application knows how to reach), given the requirement
/// (`issuers`, `nonce`, `scope`).
public struct UserMandateResponder: ClientChallengeResponder {
    public let type = ChallengeRequirementTypes.userMandate
    let obtain: @Sendable ([String: JSONValue], String) async throws -> String

    /// - Parameter obtain: returns the mandate JWT for a requirement and client id.
    public init(obtain: @escaping @Sendable (_ requirement: [String: JSONValue], _ clientID: String) async throws -> String) {
        self.obtain = obtain
    }

    public func evidence(for requirement: [String: JSONValue], clientID: String) async throws -> String {
        try await obtain(requirement, clientID)
    }
}

/// A client challenge the client could not satisfy: no responder for its type, or the server
/// kept challenging. Per the draft (§4) the client treats it like `unauthorized_client`.
public struct UnsatisfiedClientChallenge: Error, Sendable, Hashable, CustomStringConvertible {
    /// The last challenge the server sent.
    public let challenge: InsufficientClientAuthorization
    public let reason: String

    public init(challenge: InsufficientClientAuthorization, reason: String) {
        self.challenge = challenge
        self.reason = reason
    }

    public var description: String { "unsatisfied client challenge (\(challenge.requirementType ?? "no type")): \(reason)" }
}
