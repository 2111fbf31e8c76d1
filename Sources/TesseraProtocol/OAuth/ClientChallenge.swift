/// The token endpoint's "insufficient client authorization" answer
/// (draft-kahrer-oauth-client-challenge-protocol-00 §4): the server cannot issue yet, and says what
/// evidence about the client would let it. Sent as HTTP 403 with `Cache-Control: no-store`.
public struct InsufficientClientAuthorization: Error, Sendable, Hashable, Codable {
    /// The error code this response carries.
    public static let code = "insufficient_client_authorization"

    public var error: String = Self.code
    public var errorDescription: String?
    /// §5: the `authorization_requirement` object; `type` names the kind of evidence. Tessera also
    /// puts `challenge_session` inside it, for clients written against the draft's example.
    public var authorizationRequirement: [String: JSONValue]
    /// §4: opaque, single use; the retry sends it back.
    public var challengeSession: String
    /// §4: seconds until `challenge_session` expires.
    public var expiresIn: Int?

    public init(requirement: [String: JSONValue], challengeSession: String, expiresIn: Int?, description: String? = nil) {
        var requirement = requirement
        requirement["challenge_session"] = .string(challengeSession)
        self.authorizationRequirement = requirement
        self.challengeSession = challengeSession
        self.expiresIn = expiresIn
        self.errorDescription = description
    }

    /// The requirement's `type`.
    public var requirementType: String? {
        if case .string(let type) = authorizationRequirement["type"] { return type }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
        case authorizationRequirement = "authorization_requirement"
        case challengeSession = "challenge_session"
        case expiresIn = "expires_in"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        error = try container.decode(String.self, forKey: .error)
        errorDescription = try container.decodeIfPresent(String.self, forKey: .errorDescription)
        authorizationRequirement = try container.decode([String: JSONValue].self, forKey: .authorizationRequirement)
        // §4 makes it a top-level member; the draft's example nests it in the requirement. Read both.
        if let session = try container.decodeIfPresent(String.self, forKey: .challengeSession) {
            challengeSession = session
        } else if case .string(let session) = authorizationRequirement["challenge_session"] {
            challengeSession = session
        } else {
            throw DecodingError.keyNotFound(CodingKeys.challengeSession, .init(codingPath: [], debugDescription: "no challenge_session"))
        }
        expiresIn = try container.decodeIfPresent(Int.self, forKey: .expiresIn)
    }
}
