import Foundation
import TesseraProtocol
import TesseraStorage

/// Cedar-profile access rights in GNAP (RFC 9635 §8 objects carrying `"rarFormat": "cedar"` and a
/// `policySet`, as RFC 9396 `authorization_details` entries do): checked when the grant is
/// requested, decided and narrowed by the AS's delegation policies when its tokens are minted —
/// the same ``AuthorizationDetailsProcessor`` the OAuth front door uses.
extension GNAPService {
    /// Request-time checks of every Cedar-profile right (types, members, syntax, schema).
    /// - Throws: ``GNAPError`` `invalid_request` (``Refusal/Code/rightsMalformed``) with the processor's description.
    func checkCedarRights(_ access: [GNAPAccessRight], instance: GNAPConfiguration.Instance?) throws(GNAPError) {
        let entries = Self.cedarEntries(access)
        guard !entries.isEmpty else { return }
        guard let authorizationDetails else { throw GNAPError(.invalidRequest, "this server accepts no Cedar-profile access rights") }
        do { try authorizationDetails.check(entries, clientID: instance?.id, label: { "access[cedar \($0)]" }) } catch {
            throw Refusal(error).gnap
        }
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
