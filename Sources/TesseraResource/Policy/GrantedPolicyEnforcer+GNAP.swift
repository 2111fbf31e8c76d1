public import Cedar
import Foundation
public import TesseraProtocol

extension GrantedPolicyEnforcer.Grant {
    /// The grant carried by a GNAP token the RS accepted (RFC 9635 §8 access rights; Cedar-profile
    /// rights carry `rarFormat: cedar` and a `policySet`, as `authorization_details` entries do),
    /// cached by a hash of the token value.
    public init(gnap request: GNAPAuthorizedRequest) {
        self.init(gnapAccess: request.access)
    }

    /// The grant of GNAP access rights (object rights only; references carry no policies).
    public init(gnapAccess access: [GNAPAccessRight]) {
        let encoder = JSONEncoder()
        let details = access.compactMap { right -> JSONValue? in
            guard case .object = right, let data = try? encoder.encode(right) else { return nil }
            return try? JSONDecoder().decode(JSONValue.self, from: data)
        }
        self.init(authorizationDetails: details)
    }
}

extension GrantedPolicyEnforcer {
    /// Decides `request` against the Cedar policies a GNAP token grants (and the RS's own policies),
    /// so Cedar grants are enforced the same way whichever front door issued the token.
    public func authorize(
        _ request: AuthorizationRequest,
        entities: EntityStore = EntityStore(),
        gnap authorized: GNAPAuthorizedRequest
    ) -> Decision {
        authorize(request, entities: entities, grant: Grant(gnap: authorized))
    }
}
