import TesseraProtocol

/// What a GNAP token keeps of the Cedar rights it comes from, for a modification that stays approved without
/// interaction (RFC 9635 §5.3) and an RFC 9767 §4 derivation: the Cedar rights of each type it leaves out while
/// keeping other rights (``GNAPGrantCarry``, review round 10 H8), then every forbid of those rights
/// (``GNAPForbidCarry``, H1). One walk over the wanted tokens serves both.
enum GNAPCedarCarry {
    /// Each wanted token keeps the Cedar rights and forbids of the one approved token it stands on
    /// (``GNAPRightsCoverage/source(of:in:)``: a bearer token only on a bearer token, RFC 9635 §2.1.1; one token,
    /// never a union, §5.3), and nothing of any other approved token (review round 11, J12).
    /// - Parameters:
    ///   - approved: the token requests as approved (or the parent token, for a derivation).
    ///   - wanted: the token requests as now asked for, within `approved`.
    /// - Returns: `wanted` with the Cedar rights and forbids carried.
    static func carry(from approved: GNAPTokenRequests?, into wanted: GNAPTokenRequests?) -> GNAPTokenRequests? {
        guard let approved, let wanted else { return wanted }
        let tokens = wanted.requests.map { token -> GNAPTokenRequest in
            let held = GNAPRightsCoverage.source(of: token, in: approved)?.access ?? []
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
