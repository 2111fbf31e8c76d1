public import Foundation
public import TesseraProtocol

/// What the ledger knows about one of our access tokens, whichever door issued it (issue 19): each door
/// only translates it into its wire format (RFC 7662 §2.2, RFC 9767 §3.3, RFC 8693 §2.1 subject tokens).
public struct LedgerEntry: Sendable, Hashable {
    public enum Door: Sendable, Hashable { case oauth, gnap }

    /// One granted right: an OAuth scope token or GNAP reference (RFC 6749 §3.3, RFC 9635 §8), or an RFC 9396
    /// `authorization_details` entry or GNAP access object (RFC 9635 §8.1; the two share one shape).
    public enum Right: Sendable, Hashable {
        case simple(String)
        case detail(JSONValue)
    }

    public var jti: String
    public var holder: TokenHolder
    public var subject: String
    public var audience: [String]
    /// In grant order.
    public var rights: [Right]
    public var binding: TokenBinding
    /// The signed `cnf` claim (RFC 7800 §3.1).
    public var confirmation: Confirmation?
    public var issuedAt: Date
    public var expiresAt: Date
    /// Recorded, unrevoked, unexpired and, for GNAP, its management record and grant still live.
    public var active: Bool
    /// The verified claims.
    public var claims: JWTClaimSet

    public var door: Door { if case .oauthClient = holder { .oauth } else { .gnap } }

    /// The simple rights that are scope tokens (RFC 6749 §3.3); a GNAP reference that is not has no OAuth form.
    public var scope: Scope {
        Scope(
            rights.compactMap { right -> String? in
                guard case .simple(let value) = right, !value.contains(" "), (try? Scope(parsing: value))?.isEmpty == false else {
                    return nil
                }
                return value
            }
        )
    }

    public var authorizationDetails: [JSONValue] {
        rights.compactMap { right -> JSONValue? in if case .detail(let entry) = right { entry } else { nil } }
    }

    /// A GNAP `access` array (RFC 9635 §8); a detail that is not a valid access object is left out (never widened).
    public var gnapAccess: [GNAPAccessRight] {
        rights.compactMap { right -> GNAPAccessRight? in
            switch right {
            case .simple(let value): .reference(value)
            case .detail(let entry):
                (try? JSONDecoder().decode(GNAPAccessObject.self, from: JSONEncoder().encode(entry))).map { .object($0) }
            }
        }
    }
}

/// Who a token was issued to. OAuth clients (RFC 6749 §2.2) and GNAP instances (RFC 9635 §2.3) are
/// different name spaces: only ``isOAuthClient(_:)`` matches a holder against a client id.
public enum TokenHolder: Sendable, Hashable {
    case oauthClient(String)
    /// A registered GNAP instance (RFC 9635 §2.3.1).
    case gnapInstance(String)
    /// A GNAP client known only by its key's thumbprint (RFC 9635 §7.1).
    case gnapKey(thumbprint: String)

    /// Whether this is the OAuth client `id` (constant time); never for a GNAP holder.
    public func isOAuthClient(_ id: String) -> Bool {
        guard case .oauthClient(let holder) = self else { return false }
        return ConstantTime.equals(Array(holder.utf8), Array(id.utf8))
    }

    /// The token's `client_id` claim (RFC 9068 §2.2).
    public var claimedClientID: String {
        switch self {
        case .oauthClient(let id), .gnapInstance(let id), .gnapKey(let id): id
        }
    }

    /// The OAuth client a token was issued to; `nil` for a GNAP client's.
    public var oauthClientID: String? { if case .oauthClient(let id) = self { id } else { nil } }

    /// RFC 9767 §3.3 `instance_id`.
    public var instanceID: String? { if case .gnapInstance(let id) = self { id } else { nil } }
}

/// The key a token is bound to.
public enum TokenBinding: Sendable, Hashable {
    case bearer
    /// DPoP (RFC 9449 §6.1): `cnf.jkt`.
    case dpop(jkt: String)
    /// The GNAP client key and its proofing method (RFC 9635 §7.1, §7.3).
    case gnapKey(GNAPKey)

    /// RFC 7662 `token_type`: `DPoP` (RFC 9449 §6.2), or `GNAP`, the scheme of a GNAP-bound token (RFC 9635 §7.2).
    public var tokenType: String {
        switch self {
        case .bearer: "Bearer"
        case .dpop: "DPoP"
        case .gnapKey: "GNAP"
        }
    }

    /// RFC 9767 §3.3 `proof`; `dpop` for DPoP, which has no GNAP method name.
    public var proofMethod: String? {
        switch self {
        case .bearer: nil
        case .dpop: "dpop"
        case .gnapKey(let key): key.proof.method
        }
    }

    /// RFC 9767 §3.3 `key`: the GNAP key by value; for DPoP the `jkt` as a key reference (the JWK is not recorded).
    public var gnapKey: GNAPKeyReference? {
        switch self {
        case .bearer: nil
        case .dpop(let jkt): .reference(jkt)
        case .gnapKey(let key): .value(key)
        }
    }
}

extension JWTClaimSet {
    /// `cnf` (RFC 7800 §3.1); one that does not decode still counts as a binding, so it is never dropped.
    var confirmation: Confirmation? {
        self["cnf"] == nil ? nil : decode("cnf", as: Confirmation.self) ?? Confirmation(jkt: nil)
    }
}
