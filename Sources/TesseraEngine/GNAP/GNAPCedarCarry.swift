import TesseraProtocol

/// What a GNAP token keeps of the Cedar rights it comes from, for a modification that stays approved without
/// interaction (RFC 9635 §5.3) and an RFC 9767 §4 derivation: the Cedar rights of each type it leaves out while
/// keeping other rights (``GNAPGrantCarry``, review round 10 H8), then every forbid of those rights
/// (``GNAPForbidCarry``, H1). One walk over the wanted tokens serves both.
enum GNAPCedarCarry {
    /// Each wanted token keeps the Cedar rights and forbids of the approved tokens its rights come from: those
    /// holding a right that covers one of its rights (``GNAPRightsCoverage/covers(_:_:)-(GNAPAccessRight,GNAPAccessRight)``).
    /// - Parameters:
    ///   - approved: the token requests as approved (or the parent token, for a derivation).
    ///   - wanted: the token requests as now asked for, within `approved`.
    /// - Returns: `wanted` with the Cedar rights and forbids carried.
    static func carry(from approved: GNAPTokenRequests?, into wanted: GNAPTokenRequests?) -> GNAPTokenRequests? {
        guard let approved, let wanted else { return wanted }
        let tokens = wanted.requests.map { token -> GNAPTokenRequest in
            let sources = approved.requests.filter { source in
                token.access.contains { want in source.access.contains { GNAPRightsCoverage.covers($0, want) } }
            }
            let held = sources.flatMap(\.access)
            var token = token
            token.access = GNAPForbidCarry.carry(from: held, into: GNAPGrantCarry.carry(from: held, into: token.access))
            return token
        }
        switch wanted {
        case .single: return tokens.first.map(GNAPTokenRequests.single) ?? wanted
        case .multiple: return .multiple(tokens)
        }
    }
}
