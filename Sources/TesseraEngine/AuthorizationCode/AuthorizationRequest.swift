import Crypto
import Foundation
public import TesseraProtocol

/// A validated authorization request (RFC 6749 §4.1.1 with RFC 7636 §4.3 and RFC 8707 §2): what
/// is held while the person signs in and decides, and what a pushed request stores (RFC 9126 §2).
public struct OAuthAuthorizationRequest: Codable, Sendable, Hashable {
    public var clientID: String
    /// Exactly one of the client's registered redirect URIs.
    public var redirectURI: String
    public var scope: [String]
    /// RFC 8707 §2; the token's audience is decided when it is issued (``ResourceCheck``).
    public var resources: [String]
    public var state: String?
    /// OpenID Connect Core §3.1.2.1: echoed in the ID token.
    public var nonce: String?
    /// RFC 7636 §4.2: BASE64URL(SHA256(code_verifier)); only S256 is accepted.
    public var codeChallenge: String
    /// RFC 9396 §2: the rich authorization details asked for, checked against the known types.
    public var authorizationDetails: [JSONValue]?
    /// OpenID Connect Core §3.1.2.1 `prompt` (``SignInRequirement``); absent in requests held by older builds.
    public var prompt: [String]?
    /// OpenID Connect Core §3.1.2.1 `max_age`, seconds (``SignInRequirement``).
    public var maxAge: Int?

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case redirectURI = "redirect_uri"
        case scope, resources, state, nonce, prompt
        case codeChallenge = "code_challenge"
        case authorizationDetails = "authorization_details"
        case maxAge = "max_age"
    }

    /// Whether this is an OpenID Connect request (OpenID Connect Core §3.1.2.1).
    public var isOpenID: Bool { scope.contains("openid") }

    /// RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
    static func isValidVerifier(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count)
            && verifier.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-._~".unicodeScalars.contains($0))
            }
    }

    /// RFC 7636 §4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge, in constant time.
    func verifies(_ verifier: String) -> Bool {
        guard Self.isValidVerifier(verifier) else { return false }
        let computed = Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8))))
        return ConstantTime.equals(Array(computed.utf8), Array(codeChallenge.utf8))
    }
}

/// What the person approved, stored with the code.
struct ApprovedAuthorization: Codable, Sendable {
    var request: OAuthAuthorizationRequest
    var subject: String
    /// The approved scope: the requested one, or the part the person left ticked.
    var scope: [String]
    /// When the person signed in (OpenID Connect Core §2 `auth_time`), seconds since 1970.
    var authTime: Int
    /// The details granted (RFC 9396 §7): the entries left ticked, narrowed for this person.
    var authorizationDetails: [JSONValue]?
    /// The consent the code was issued under: its tokens' ledger parent (absent in codes issued before issue 19).
    var consentID: String?
}

/// The response of the pushed authorization request endpoint (RFC 9126 §2.2).
public struct PushedAuthorizationResponse: Codable, Sendable, Hashable {
    public var requestURI: String
    public var expiresIn: Int

    enum CodingKeys: String, CodingKey {
        case requestURI = "request_uri"
        case expiresIn = "expires_in"
    }
}
