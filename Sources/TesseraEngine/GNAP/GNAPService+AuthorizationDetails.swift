import Foundation
import TesseraProtocol
import TesseraStorage

/// Rich authorization types in GNAP (RFC 9635 §8 objects of a type configured in `authorization_details_types`,
/// among them Cedar-profile objects carrying `"rarFormat": "cedar"` and a `policySet`, as RFC 9396
/// `authorization_details` entries do): checked when the grant is requested and whenever its tokens are minted, Cedar
/// ones decided and narrowed by the AS's delegation policies — the same ``AuthorizationDetailsProcessor`` the OAuth
/// front door uses.
extension GNAPService {
    /// The OAuth door's checks of a rich authorization type (``AuthorizationDetailsProcessor/check(_:clientID:label:)``:
    /// the type's `clients`, its required and allowed members, and for the Cedar profile the syntax and schema) on every
    /// right whose type this AS configures (RFC 9396 §5, RFC 9635 §8): a Cedar-profile object, any object of a configured
    /// type, and a reference that names one (only `clients`: a reference has no members). Other rights are the resource
    /// servers' own. Asked of a request, a modification and a derivation, and again whenever an approved grant's tokens
    /// are minted or rotated (``typeRefusal(_:client:)``): review round 13, L9 (only Cedar-profile objects were checked).
    /// - Parameters:
    ///   - access: the rights.
    ///   - clientID: who would hold them (``ClientIdentity/id``): an instance or resource server by its id, an
    ///     unregistered key as `jkt:<thumbprint>`, which no `clients` list names.
    /// - Throws: ``GNAPError`` `invalid_request` (``Refusal/Code/rightsMalformed``) with the processor's description.
    func checkTypedRights(_ access: [GNAPAccessRight], clientID: String) throws(GNAPError) {
        let types = authorizationDetails?.types ?? [:]
        var (entries, labels): ([JSONValue], [String]) = ([], [])
        for (index, right) in access.enumerated() {
            switch right {
            case .object(let object) where object.extra["rarFormat"] != nil || types[object.type] != nil:
                do { entries.append(try Self.json(object)) } catch { throw GNAPError(.invalidRequest, "access[\(index)] is not JSON") }
                labels.append("access[\(index)]")
            case .reference(let name) where types[name]?.clients.map({ !$0.contains(clientID) }) == true:
                throw GNAPError(.invalidRequest, "access[\(index)]: this client may not request type '\(name)'")
            default: continue
            }
        }
        guard !entries.isEmpty else { return }
        guard let authorizationDetails else { throw GNAPError(.invalidRequest, "this server accepts no Cedar-profile access rights") }
        do { try authorizationDetails.check(entries, clientID: clientID, label: { labels[$0] }) } catch { throw Refusal(error).gnap }
    }

    /// ``checkTypedRights(_:clientID:)`` of an approved grant's rights before its tokens are minted (RFC 9635 §5) or
    /// rotated (§6.1), with the types as configured now: a type the operator took from the client, or whose members
    /// changed, ends the grant as a narrowed `allowed_access` does (review round 11, J6; round 13, L9).
    /// - Parameters:
    ///   - access: the rights the tokens would carry.
    ///   - client: the grant's client.
    /// - Returns: the refusal (`request_denied`), or `nil`.
    func typeRefusal(_ access: [GNAPAccessRight], client: ClientIdentity) -> Refusal? {
        do { try checkTypedRights(access, clientID: client.id) } catch { return Refusal(.rightsRefused, error.message) }
        return nil
    }

    /// The rights a token carries: Cedar-profile objects replaced by what the AS grants to this
    /// grant's client and subject; other rights unchanged.
    /// - Parameters:
    ///   - access: the rights asked for.
    ///   - grant: the grant the token belongs to.
    ///   - subject: whom the token is about.
    ///   - approvedAt: when the approval the grant stands on was given: the start of each `valid_for` window.
    /// - Returns: the rights granted.
    /// - Throws: ``GNAPError`` for a refused Cedar-profile right.
    func grantedAccess(
        _ access: [GNAPAccessRight],
        grant: GNAPGrantRecord,
        subject: String,
        approvedAt: Date
    ) throws -> [GNAPAccessRight] {
        guard !Self.cedarEntries(access).isEmpty else { return access }
        guard let authorizationDetails else { throw GNAPError(.invalidRequest, "this server accepts no Cedar-profile access rights") }
        let party = AuthorizationDetailsProcessor.Party(clientID: grant.instanceID ?? grant.keyThumbprint, subject: subject)
        var result: [GNAPAccessRight] = []
        for right in access {
            guard case .object(let object) = right, object.extra["rarFormat"] != nil else {
                result.append(right)
                continue
            }
            let granted: [JSONValue]
            do {
                granted = try authorizationDetails.grant(
                    [try Self.json(object)],
                    to: party,
                    approvedAt: approvedAt,
                    label: { _ in "access[\(object.type)]" }
                )
            } catch let error as OAuthError {
                throw Refusal(error).gnap
            }
            let encoded = try JSONEncoder().encode(granted[0])
            result.append(.object(try JSONDecoder().decode(GNAPAccessObject.self, from: encoded)))
        }
        return result
    }

    private static func cedarEntries(_ access: [GNAPAccessRight]) -> [JSONValue] {
        access.compactMap { right in
            guard case .object(let object) = right, object.extra["rarFormat"] != nil else { return nil }
            return try? json(object)
        }
    }

    static func json(_ object: GNAPAccessObject) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(object))
    }
}
