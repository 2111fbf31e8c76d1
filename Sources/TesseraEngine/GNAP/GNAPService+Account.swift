public import Foundation
public import TesseraProtocol
import TesseraStorage

/// The person's side of GNAP grants after approval (issue 21): the account page lists the grants a
/// person approved and lets them withdraw one. Withdrawing finalizes the grant (RFC 9635 §1.5: no
/// continuation, no new tokens) and revokes its tokens in the same store transaction, as the
/// client's own revocation (RFC 9635 §5.4) does; the revocation is the resource owner's.
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
                ApprovedGrant(id: grant.id, client: client, tokens: try await approvedTokens(of: grant), approvedAt: grant.updatedAt)
            )
        }
        return result
    }

    /// A registered instance's grant for its own allowed access has the instance as its subject
    /// (no person decided it): it is no person's to list or withdraw, even one whose username
    /// happens to equal the instance id.
    static func isApprovedByAPerson(_ grant: GNAPGrantRecord) -> Bool {
        grant.subject != nil && grant.subject != grant.instanceID
    }

    /// Withdraws a grant `username` approved: it is finalized and every token issued under it revoked.
    /// The id goes through ``PresentedIdentifier`` like every server-minted id; a grant approved by
    /// someone else, not approved, or already finalized is not found.
    /// - Returns: `false`, changing nothing, when there is no such grant of this person in force.
    public func withdrawGrant(id: String, username: String) async throws -> Bool {
        guard PresentedIdentifier.isCanonical(id, as: .serverIdentifier) else { return false }
        // The client may continue (rotating the continuation hash) meanwhile: re-read and retry.
        for _ in 0..<5 {
            guard let current = try await stores.gnap.grant(id: id), current.state == .approved || current.state == .pending,
                current.subject == username,
                Self.isApprovedByAPerson(current)
            else { return false }
            var finalized = current
            if try await finalize(&finalized, expected: current.continuationHash, state: current.state) { return true }
        }
        return false
    }
}
