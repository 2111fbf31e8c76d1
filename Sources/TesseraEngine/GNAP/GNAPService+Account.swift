public import Foundation
public import TesseraProtocol
import TesseraStorage

/// The person's side of GNAP grants after approval (issue 21): the account page lists the grants a
/// person approved; withdrawing one is ``GrantEngine/revoke(_:by:)`` of ``Revocation/approvedGrant(id:)``,
/// which finalizes the grant (RFC 9635 §1.5) and revokes its tokens, as the client's own revocation (§5.4) does.
extension GNAPService {
    /// An approved grant as the account page shows it.
    public struct ApprovedGrant: Sendable {
        public var id: String
        /// Who holds it: a registered instance's name, or the name the client gave itself.
        public var client: ClientPresentation
        /// The tokens as approved (after the person's ticks), with their rights.
        public var tokens: [GNAPTokenRequest]
        public var approvedAt: Date
    }

    /// The grants `username` approved that are still in force, newest first.
    public func approvedGrants(of username: String) async throws -> [ApprovedGrant] {
        var result: [ApprovedGrant] = []
        for grant in try await grantsStanding(on: username) where Self.isApprovedByAPerson(grant) {
            let identity = grant.instanceID.map { "instance \($0)" } ?? "key \(grant.keyThumbprint.prefix(16))"
            var client = ClientPresentation(name: nil, nameIsVerified: false, identity: identity)
            if let name = try await registeredInstance(grant.instanceID)?.displayName {
                client.name = name
                client.nameIsVerified = true
            } else {
                client.name = try await stores.interactions.interaction(grantID: grant.id)?.clientName
            }
            result.append(
                ApprovedGrant(
                    id: grant.id,
                    client: client,
                    tokens: try await approvedTokens(of: grant),
                    approvedAt: grant.approvedAt ?? grant.updatedAt
                )
            )
        }
        return result
    }

    /// A registered instance's grant for its own allowed access has the instance as its subject
    /// (no person decided it): it is no person's to list or withdraw, even one whose username
    /// happens to equal the instance id. Nor is a derived token's grant (RFC 9767 §4), which has the
    /// parent's subject but no continuation: the person approved its parent, whose withdrawal revokes it.
    static func isApprovedByAPerson(_ grant: GNAPGrantRecord) -> Bool {
        grant.subject != nil && grant.subject != grant.instanceID && grant.continuationHash != nil
    }
}
