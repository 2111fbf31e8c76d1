import Cedar
public import Foundation
import TesseraProtocol

/// One `authorization_details` type the authorization server knows (RFC 9396 §2): which members an
/// entry must and may carry, which clients may ask for it, and — for types that accept the Cedar
/// profile (draft-cecchetti-oauth-rar-cedar) — how policy sets are checked, decided and narrowed.
public struct AuthorizationDetailsType: Sendable {
    /// The `type` value.
    public var type: String
    /// Members every entry must carry besides `type` (RFC 9396 §5: missing → `invalid_authorization_details`).
    public var requiredMembers: [String]
    /// Members allowed besides `type`, `requiredMembers` and (Cedar) `rarFormat`/`policySet`;
    /// `nil` allows any member.
    public var allowedMembers: Set<String>?
    /// Clients allowed to request this type; `nil` allows every client.
    public var clients: Set<String>?
    /// The Cedar profile, when entries of this type may carry `"rarFormat": "cedar"`.
    public var cedar: CedarProfile?

    public init(
        type: String,
        requiredMembers: [String] = [],
        allowedMembers: Set<String>? = nil,
        clients: Set<String>? = nil,
        cedar: CedarProfile? = nil
    ) {
        self.type = type
        self.requiredMembers = requiredMembers
        self.allowedMembers = allowedMembers
        self.clients = clients
        self.cedar = cedar
    }

    /// How the AS treats Cedar policy sets of one type (see docs/rar-cedar.md).
    public struct CedarProfile: Sendable {
        /// The resource's schema: requested policy sets must validate against it (strict mode).
        let schema: Schema?
        /// The strict validator for ``schema``, built once (issue 22: building it per request was ~3.5 % of a RAR request).
        let validator: Validator?
        /// The AS's own delegation policies: who may be delegated which action on which resource.
        let delegation: Authorizer
        /// When set, every granted permit is pinned to `principal == <type>::"<token subject>"`.
        let pinPrincipalType: EntityType?
        /// `when` conditions added to every granted permit (amount bounds, …).
        let conditions: [PolicyCondition]
        /// When set, every granted permit gets `when { context.now < datetime("<grant time + validFor>") }`.
        public let validFor: TimeInterval?
        /// The most policies one entry may carry.
        public let maximumPolicies: Int

        /// The end of the `valid_for` window of a right approved at `approvedAt`, in whole seconds since 1970 (the
        /// granted `context.now < datetime(…)` bound; docs/rar-cedar.md, "grant time + N seconds"); `nil` without one.
        func windowEnd(approvedAt: Date) -> Int64? {
            validFor.map { Int64((approvedAt.timeIntervalSince1970 + $0).rounded(.down)) }
        }
        /// Requested sets that already passed ``CedarDetailsGranter/validated(policySet:)`` with this profile.
        let validatedSets = ValidatedPolicySets()

        /// - Parameters:
        ///   - schema: Cedar schema text (either format), or `nil`.
        ///   - delegationPolicies: the AS's Cedar policies deciding delegation (required: without
        ///     them nothing could be delegated, and granting everything is not a safe default).
        ///   - pinPrincipalType: an entity type name such as `BankA::User`.
        ///   - conditions: Cedar boolean expressions, each added as a `when` condition.
        ///   - validFor: seconds a granted policy stays valid (checked by the RS through `context.now`).
        ///   - maximumPolicies: the most policies one entry may carry (1 to 100).
        /// - Throws: ``CedarProfileError`` naming which input is wrong and where.
        public init(
            schema: String?,
            delegationPolicies: String,
            pinPrincipalType: String? = nil,
            conditions: [String] = [],
            validFor: TimeInterval? = nil,
            maximumPolicies: Int = 10
        ) throws(CedarProfileError) {
            // Cedar compares bytes and requests are NFC (``UnicodeNFC``): a literal in another form would never match.
            let texts =
                [("schema", schema ?? ""), ("policies", delegationPolicies)] + conditions.enumerated().map { ("conditions[\($0)]", $1) }
            if let (field, _) = texts.first(where: { !UnicodeNFC.isNormalized($0.1) }) {
                throw CedarProfileError(field: field, "the Cedar text \(UnicodeNFC.rule); save it in NFC")
            }
            var parsedSchema: Schema?
            if let schema {
                do { parsedSchema = try Schema(text: schema) } catch { throw CedarProfileError(field: "schema", error.description) }
            }
            let set: PolicySet
            do { set = try PolicySet(parsing: delegationPolicies, filename: "delegation") } catch {
                throw CedarProfileError(field: "policies", error.description)
            }
            guard !set.staticPolicies.isEmpty, set.templates.isEmpty else {
                throw CedarProfileError(field: "policies", "must hold at least one static policy and no template")
            }
            guard set.isNFC else {
                throw CedarProfileError(field: "policies", "a string literal, read with its escapes, \(UnicodeNFC.rule); write it in NFC")
            }
            var pinned: EntityType?
            if let pinPrincipalType {
                guard let type = EntityType(validating: pinPrincipalType) else {
                    throw CedarProfileError(field: "pin_principal", "'\(pinPrincipalType)' is not a Cedar entity type name")
                }
                pinned = type
            }
            var parsedConditions: [PolicyCondition] = []
            for (index, text) in conditions.enumerated() {
                do { parsedConditions.append(try PolicyCondition(parsing: text)) } catch {
                    throw CedarProfileError(field: "conditions[\(index)]", error.description)
                }
            }
            if let validFor, validFor < 1 { throw CedarProfileError(field: "valid_for", "must be at least 1 second") }
            if validFor != nil, let parsedSchema { try Self.checkDeclaresNow(parsedSchema) }
            guard (1...100).contains(maximumPolicies) else { throw CedarProfileError(field: "max_policies", "must be 1 to 100") }
            self.schema = parsedSchema
            self.validator = parsedSchema.map { Validator(schema: $0, mode: .strict) }
            self.delegation = Authorizer(policies: set)
            self.pinPrincipalType = pinned
            self.conditions = parsedConditions
            self.validFor = validFor
            self.maximumPolicies = maximumPolicies
        }

        /// `valid_for` adds `when { context.now < datetime("…") }` to every granted permit, so the
        /// granted set validates against the type's schema — as resource servers check it, and as
        /// they check their requests — only when every action that applies to requests declares a
        /// required `now: datetime` in its context. Refused at start rather than found by an RS.
        static func checkDeclaresNow(_ schema: Schema) throws(CedarProfileError) {
            let now = AttributeType(.extension("datetime"), isRequired: true)
            let lacking = schema.actions.values
                .filter { !$0.principalTypes.isEmpty && !$0.resourceTypes.isEmpty && $0.context.attributes["now"] != now }
                .map(\.uid.description)
                .sorted()
            guard !lacking.isEmpty else { return }
            let named = lacking.prefix(5).joined(separator: ", ") + (lacking.count > 5 ? " and \(lacking.count - 5) more" : "")
            throw CedarProfileError(
                field: "valid_for",
                "adds `context.now < datetime(…)` to every granted permit, so the schema must declare `now: datetime` (required) "
                    + "in the context of every action; it does not for \(named)"
            )
        }
    }
}

/// A Cedar profile setting that is wrong; ``field`` names it as the config file spells it.
public struct CedarProfileError: Error, Sendable, Hashable, CustomStringConvertible {
    public let field: String
    public let message: String
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
    /// Equality uses the field only, so tests can match the kind of error.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.field == rhs.field }
    public func hash(into hasher: inout Hasher) { hasher.combine(field) }
}
