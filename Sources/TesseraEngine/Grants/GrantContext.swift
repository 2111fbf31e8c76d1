public import Foundation
import TesseraProtocol
public import TesseraStorage

/// What every grant handler may use.
public struct GrantContext: Sendable {
    public let issuer: TokenIssuer
    public let tokens: any TokenStore
    public let now: @Sendable () -> Date
    /// Rich authorization requests (RFC 9396): validation, decision, Cedar narrowing.
    public let authorizationDetails: AuthorizationDetailsProcessor
    /// The one decision point (docs/policy.md), behind the OAuth door's scope translation.
    let scopeCheck: ScopeCheck
    let resourceCheck: ResourceCheck

    init(
        issuer: TokenIssuer,
        tokens: any TokenStore,
        defaultAudience: [String],
        resourceIndicators: ResourceIndicatorRequirement = .init(),
        authorizationDetails: AuthorizationDetailsProcessor,
        decisions: DecisionPoint = DecisionPoint(),
        now: @escaping @Sendable () -> Date
    ) {
        self.scopeCheck = ScopeCheck(decisions: decisions)
        self.issuer = issuer
        self.tokens = tokens
        self.now = now
        self.authorizationDetails = authorizationDetails
        self.resourceCheck = ResourceCheck(defaultAudience: defaultAudience, requirement: resourceIndicators)
    }
}
