public import Foundation
public import TesseraProtocol
public import TesseraStorage

/// What every grant handler may use.
public struct GrantContext: Sendable {
    public let issuer: TokenIssuer
    public let tokens: any TokenStore
    public let now: @Sendable () -> Date
    let scopeCheck = ScopeCheck()
    let resourceCheck: ResourceCheck

    init(issuer: TokenIssuer, tokens: any TokenStore, defaultAudience: [String], now: @escaping @Sendable () -> Date) {
        self.issuer = issuer
        self.tokens = tokens
        self.now = now
        self.resourceCheck = ResourceCheck(defaultAudience: defaultAudience)
    }
}
