public import Foundation
public import TesseraProtocol
public import TesseraStorage

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
    /// tokens are never active here (RFC 9767 §2.1.14).
    public func introspect(_ presented: GNAPPresentedRequest) async throws -> GNAPIntrospectionResponse {
        let request = try Self.decode(GNAPIntrospectionRequest.self, from: presented.body)
        let server = try resourceServer(request.resourceServer)
        try await proofs.verify(presented, key: server.key, errorCode: .invalidResourceServer)

        guard let jws = try? CompactJWS(parsing: request.accessToken),
            (try? await keyRing.verifyOwnToken(jws, expectedType: AccessTokenClaims.type, issuer: issuerID)) != nil,
            let claims = try? JSONDecoder().decode(AccessTokenClaims.self, from: jws.payload), claims.iss == issuerID,
            let record = try await stores.tokens.accessToken(jti: claims.jti), record.isActive(at: now()),
            let token = try await stores.gnap.token(jti: claims.jti), token.revokedAt == nil,
            let grant = try await stores.gnap.grant(id: token.grantID), grant.state != .finalized,
            !Set(record.audience).isDisjoint(with: server.audiences)
        else { return .inactive }

        let bearer = token.flags.contains("bearer")
        if let proof = request.proof {
            guard !bearer, proof == (try? Self.decode(GNAPKey.self, from: Array(grant.clientKey.utf8)))?.proof.method else { return .inactive }
        }
        let access = (try? Self.decode([GNAPAccessRight].self, from: Array(token.access.utf8))) ?? []
        if let needed = request.access, !Self.covers(access, needed) { return .inactive }
        return GNAPIntrospectionResponse(
            active: true,
            access: access,
            key: bearer ? nil : (try? Self.decode(GNAPKey.self, from: Array(grant.clientKey.utf8))).map(GNAPKeyReference.value),
            flags: token.flags.isEmpty ? nil : token.flags,
            exp: claims.exp,
            iat: claims.iat,
            aud: record.audience.count == 1 ? .one(record.audience[0]) : .many(record.audience),
            sub: claims.sub,
            iss: endpoints.grant,
            instanceID: grant.instanceID
        )
    }

    /// Whether granted rights cover every needed one: references by equality; objects by `type`, with
    /// each listed action, location and datatype among the granted object's (RFC 9635 §8 cross product).
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
                        && (b.identifier == nil || b.identifier == a.identifier)
                default: return false
                }
            }
        }
    }
}
