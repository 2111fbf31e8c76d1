import Foundation
public import TesseraProtocol

extension GNAPService {
    /// The RS-facing discovery document (RFC 9767 §3.1).
    public var resourceServerDiscovery: GNAPResourceServerDiscovery {
        GNAPResourceServerDiscovery(
            grantRequestEndpoint: endpoints.grant,
            introspectionEndpoint: endpoints.introspection,
            tokenFormatsSupported: ["jwt-signed"],
            resourceRegistrationEndpoint: endpoints.resourceRegistration,
            keyProofsSupported: proofs.supportedMethods
        )
    }

    /// Token introspection for a registered resource server (RFC 9767 §3.3). The RS proves its own
    /// key; a token is active only if ours, unrevoked, unexpired, bound with the stated proof method,
    /// meant for this RS, and sufficient for the `access` asked about. Continuation and management
    /// tokens are never active here (RFC 9767 §2.1.14). The `access` answered, and judged, is the rights meant for
    /// this RS: another RS's are neither shown nor confirmed (§3.3 "MAY be filtered", §6.8).
    ///
    /// OAuth tokens answer as GNAP ones do (issue 19): `access` is their scope tokens as references and
    /// their `authorization_details` as objects; a DPoP-bound one's `key` is its `jkt` as a key reference, proof `dpop`.
    public func introspect(_ presented: GNAPPresentedRequest) async throws -> GNAPIntrospectionResponse {
        let request = try Self.decode(GNAPIntrospectionRequest.self, from: presented.body)
        let server = try await resourceServer(request.resourceServer)
        try await proofs.verify(presented, key: server.key, errorCode: .invalidResourceServer)

        // The one decision point (docs/policy.md): by default an RS registered for one of the token's audiences.
        let party = Self.introspector(server)
        guard let entry = try await ledger.entry(for: request.accessToken), entry.active,
            decisions.decide(
                IntrospectionQuestion(
                    party: party,
                    scopes: entry.scope.tokens,
                    audiences: entry.audience,
                    tokenType: "access_token",
                    holder: nil,
                    user: entry.subject
                )
            ).verdict == .permitted
        else { return .inactive }
        if let proof = request.proof, proof != entry.binding.proofMethod { return .inactive }
        // RFC 9767 §3.3, §6.8: the rights meant for this RS, those of another RS's `locations` neither shown nor
        // answered about; a right naming no location (every reference) is meant for every audience of the token.
        let access = entry.gnapAccess.filter { right in
            guard case .object(let object) = right, let locations = object.locations else { return true }
            return locations.contains(where: server.audiences.contains)
        }
        if let needed = request.access, !Self.covers(access, needed) { return .inactive }
        return GNAPIntrospectionResponse(
            active: true,
            access: access,
            key: entry.binding.gnapKey,
            flags: entry.binding == .bearer ? ["bearer"] : nil,
            exp: Int(entry.expiresAt.timeIntervalSince1970),
            iat: Int(entry.issuedAt.timeIntervalSince1970),
            aud: entry.audience.count == 1 ? .one(entry.audience[0]) : .many(entry.audience),
            sub: entry.subject,
            iss: endpoints.grant,
            instanceID: entry.holder.instanceID
        )
    }

    /// A registered resource server as the decision point sees it introspecting (RFC 9767 §3.3).
    static func introspector(_ server: GNAPConfiguration.ResourceServer) -> AccessQuestion.Party {
        AccessQuestion.Party(id: server.id, door: .gnap, registered: true, scopes: [], introspectionAudiences: server.audiences)
    }

    /// Whether granted rights cover every needed one: references by equality; objects by `type`, with
    /// each listed action, location, datatype and privilege among the granted object's (RFC 9635 §8 cross product),
    /// the same `identifier`, and every other member the resource server names (an amount, a Cedar policy set, any
    /// API-specific member) exactly as granted: a member the AS cannot compare is never reported as covered (RFC 9767
    /// §3.3; review round 12, K3: `privileges` and API-specific members were not looked at).
    static func covers(_ granted: [GNAPAccessRight], _ needed: [GNAPAccessRight]) -> Bool {
        needed.allSatisfy { want in
            granted.contains { have in
                switch (have, want) {
                case (.reference(let a), .reference(let b)): return a == b
                case (.object(let a), .object(let b)):
                    guard Array(a.type.utf8) == Array(b.type.utf8) else { return false }
                    func within(_ wanted: [String]?, _ held: [String]?) -> Bool {
                        guard let wanted else { return true }
                        guard let held else { return false }
                        return Set(wanted).isSubset(of: Set(held))
                    }
                    return within(b.actions, a.actions) && within(b.locations, a.locations) && within(b.datatypes, a.datatypes)
                        && within(b.privileges, a.privileges) && (b.identifier == nil || b.identifier == a.identifier)
                        && b.extra.allSatisfy { name, value in a.extra[name] == value }
                default: return false
                }
            }
        }
    }
}
