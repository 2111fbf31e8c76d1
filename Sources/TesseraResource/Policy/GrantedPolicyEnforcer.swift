public import Cedar
import Crypto
public import Foundation
import Synchronization
public import TesseraProtocol

/// Enforces Cedar policy sets granted in an access token (draft-cecchetti-oauth-rar-cedar;
/// RFC 9396 §9.1: the RS reads `authorization_details` from the token) at the resource server.
///
/// A concrete request (principal, action, resource, context from the HTTP call) is allowed only
/// when **both** hold:
/// 1. the token's granted policies (every `authorization_details` entry with
///    `"rarFormat": "cedar"`, of the accepted types) allow it — Cedar semantics: some permit
///    matches and no forbid does; an erroring policy counts as not matching;
/// 2. the resource server's own policies, when given, allow it too.
///
/// `context.now` is set by the enforcer (a `datetime`, from its clock) so a granted expiry
/// condition (`context.now < datetime("…")`) cannot be defeated by the caller. Granted sets are
/// parsed and compiled once per token and cached (keyed by the caller's cache key, typically
/// `iss` + `jti` of a verified token).
///
/// ```swift
/// let enforcer = try GrantedPolicyEnforcer(ownPolicies: "forbid(principal, action, resource) when { context.amountTooHigh };")
/// let decision = enforcer.authorize(request, grant: .init(cacheKey: token.jti!, authorizationDetails: token.authorizationDetails))
/// guard decision.isAllowed else { return forbidden(decision.reason) }
/// ```
public final class GrantedPolicyEnforcer: Sendable {
    /// What one token granted, as the enforcer needs it.
    public struct Grant: Sendable {
        /// Identifies the token for the parse cache (`iss` + `jti` of a verified token, or a hash).
        public var cacheKey: String
        /// The token's `authorization_details` claim.
        public var authorizationDetails: [JSONValue]?

        public init(cacheKey: String, authorizationDetails: [JSONValue]?) {
            self.cacheKey = cacheKey
            self.authorizationDetails = authorizationDetails
        }

        /// A grant keyed by a SHA-256 of its details, for tokens without a `jti`.
        public init(authorizationDetails: [JSONValue]?) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let data = (try? encoder.encode(authorizationDetails)) ?? Data()
            self.init(cacheKey: "sha256:" + Base64URL.encode(SHA256.hash(data: data)), authorizationDetails: authorizationDetails)
        }
    }

    /// The verdict, with a reason a client can be shown when denied.
    public struct Decision: Sendable, Hashable {
        public var isAllowed: Bool
        /// Why the request was refused (`nil` when allowed).
        public var reason: String?
        /// The granted policies that allowed (or forbade) the request, as `entry[i].policyN`.
        public var determiningPolicies: [String]
    }

    private struct Compiled: Sendable {
        var authorizer: Authorizer?
        var failure: String?
    }

    private let own: Authorizer?
    private let acceptedTypes: Set<String>?
    private let cacheLimit: Int
    private let now: @Sendable () -> Date
    private let cache = Mutex<[String: Compiled]>([:])

    /// - Parameters:
    ///   - ownPolicies: the RS's own Cedar policies, which must allow the request too; `nil` for none.
    ///   - acceptedTypes: the `authorization_details` types whose Cedar entries apply here; `nil` for all.
    ///   - cacheLimit: how many tokens' compiled sets are kept (the cache is cleared when full).
    ///   - now: the clock, injected in tests.
    /// - Throws: ``CedarParseError`` when `ownPolicies` does not parse.
    public init(
        ownPolicies: String? = nil,
        acceptedTypes: Set<String>? = nil,
        cacheLimit: Int = 10_000,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws(CedarParseError) {
        if let ownPolicies {
            self.own = Authorizer(policies: try PolicySet(parsing: ownPolicies, filename: "resource-server"))
        } else {
            self.own = nil
        }
        self.acceptedTypes = acceptedTypes
        self.cacheLimit = max(1, cacheLimit)
        self.now = now
    }

    /// Decides one request. `entities` describes the principal and resource (attributes such as
    /// `creditorName`), as the RS knows them.
    public func authorize(_ request: AuthorizationRequest, entities: EntityStore = EntityStore(), grant: Grant) -> Decision {
        let compiled = self.compiled(grant)
        guard let granted = compiled.authorizer else {
            return Decision(isAllowed: false, reason: compiled.failure ?? "the token grants no Cedar policies", determiningPolicies: [])
        }
        var request = request
        request.context["now"] = .extensionValue(.datetime(Int64((now().timeIntervalSince1970 * 1000).rounded(.down))))
        let answer = granted.isAuthorized(request, entities: entities)
        let determining = answer.diagnostics.reasons.sorted()
        guard answer.decision == .allow else {
            return Decision(isAllowed: false, reason: Self.denial(request, answer, determining), determiningPolicies: determining)
        }
        // Cedar skips a policy whose condition errors; a skipped forbid would let the request
        // through, so any evaluation error is a denial here (docs/SECURITY.md, "Policy fail-open").
        guard answer.diagnostics.errors.isEmpty else {
            return Decision(
                isAllowed: false,
                reason: Self.failedClosed(request, answer, "the granted policies"),
                determiningPolicies: determining
            )
        }
        if let own {
            let ownAnswer = own.isAuthorized(request, entities: entities)
            guard ownAnswer.diagnostics.errors.isEmpty else {
                return Decision(
                    isAllowed: false,
                    reason: Self.failedClosed(request, ownAnswer, "the resource server's own policies"),
                    determiningPolicies: determining
                )
            }
            guard ownAnswer.decision == .allow else {
                let which = ownAnswer.diagnostics.reasons.sorted()
                let why = which.isEmpty ? "none of its policies permits it" : "forbidden by \(which.joined(separator: ", "))"
                return Decision(
                    isAllowed: false,
                    reason: "the resource server's own policies deny \(request.action) on \(request.resource): \(why)",
                    determiningPolicies: determining
                )
            }
        }
        return Decision(isAllowed: true, reason: nil, determiningPolicies: determining)
    }

    private static func failedClosed(_ request: AuthorizationRequest, _ answer: AuthorizationResponse, _ which: String) -> String {
        let errors = answer.diagnostics.errors.prefix(3).map { "\($0.policyID): \($0.error.message)" }
        return
            "\(request.principal) may not \(request.action) on \(request.resource): \(which) could not be evaluated (\(errors.joined(separator: "; ")))"
    }

    private static func denial(_ request: AuthorizationRequest, _ answer: AuthorizationResponse, _ determining: [String]) -> String {
        let what = "\(request.principal) may not \(request.action) on \(request.resource)"
        if !determining.isEmpty { return "\(what): forbidden by the granted policy \(determining.joined(separator: ", "))" }
        var reason = "\(what): no granted policy permits this request"
        if !answer.diagnostics.errors.isEmpty {
            let errors = answer.diagnostics.errors.prefix(3).map { "\($0.policyID): \($0.error.message)" }
            reason += " (errors: \(errors.joined(separator: "; ")))"
        }
        return reason
    }

    private func compiled(_ grant: Grant) -> Compiled {
        if let hit = cache.withLock({ $0[grant.cacheKey] }) { return hit }
        let fresh = Self.compile(grant.authorizationDetails, acceptedTypes: acceptedTypes)
        cache.withLock { entries in
            if entries.count >= cacheLimit { entries.removeAll(keepingCapacity: true) }
            entries[grant.cacheKey] = fresh
        }
        return fresh
    }

    private static func compile(_ details: [JSONValue]?, acceptedTypes: Set<String>?) -> Compiled {
        var policies: [Policy] = []
        for (index, entry) in (details ?? []).enumerated() {
            guard case .object(let members) = entry, members["rarFormat"] == .string("cedar") else { continue }
            // Byte-exact (RFC 9396 §2, RFC 8259 §8.3): `Set.contains` would take a canonically equivalent spelling.
            let type = members["type"]?.stringValue ?? ""
            if let acceptedTypes, !acceptedTypes.contains(where: { UnicodeNFC.identical($0, type) }) { continue }
            guard let text = members["policySet"]?.stringValue else {
                return Compiled(failure: "authorization_details[\(index)] has rarFormat cedar but no policySet")
            }
            let set: PolicySet
            do { set = try PolicySet(parsing: text) } catch {
                return Compiled(failure: "authorization_details[\(index)].policySet does not parse: \(error.description)")
            }
            guard set.templates.isEmpty else { return Compiled(failure: "authorization_details[\(index)].policySet holds a template") }
            for policy in set.staticPolicies {
                if let renamed = policy.narrowed(id: "entry\(index).\(policy.id)") { policies.append(renamed) }
            }
        }
        guard !policies.isEmpty else { return Compiled(failure: "the token grants no Cedar policies for this resource server") }
        do { return Compiled(authorizer: Authorizer(policies: try PolicySet(policies: policies))) } catch {
            return Compiled(failure: "the token's policies cannot be combined: \(error.description)")
        }
    }
}
