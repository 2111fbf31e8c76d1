import Cedar
import Foundation
public import TesseraProtocol
import TesseraResource
public import TesseraServer

/// Two Cedar `authorization_details` entries of one type whose `forbid` acts across entries (security
/// review round 10, H1 and H6): the resource server merges every Cedar entry of a token into one policy set
/// (``TesseraResource/GrantedPolicyEnforcer``), so the forbid of ``denySecret`` also takes `write` on
/// `Docs::Doc::"secret"` away from ``readWriteAny``. A derived or partially approved token that kept
/// ``readWriteAny`` alone would allow it.
public enum CedarDocsFixtures {
    /// The Cedar type (no schema, the AS delegates everything).
    public static let type = "docs"
    /// A second Cedar type, for a forbid in an entry of another type the RS merges too.
    public static let otherType = "docs2"
    /// E1: read and write on any document.
    public static let readWriteAny = #"permit (principal, action in [Docs::Action::"read", Docs::Action::"write"], resource);"#
    /// E2: read on document "b", and no one writes on document "secret".
    public static let denySecret = """
        permit (principal, action == Docs::Action::"read", resource == Docs::Doc::"b");
        forbid (principal, action == Docs::Action::"write", resource == Docs::Doc::"secret");
        """

    /// The AS's types: ``type`` and ``otherType``, Cedar without a schema, every action delegable.
    public static func detailTypes() -> [AuthorizationDetailsTypeDefinition] {
        let cedar = AuthorizationDetailsTypeDefinition.Cedar(policies: "permit (principal, action, resource);")
        return [
            AuthorizationDetailsTypeDefinition(type: type, cedar: cedar),
            AuthorizationDetailsTypeDefinition(type: otherType, cedar: cedar),
        ]
    }

    /// One Cedar entry.
    /// - Parameters:
    ///   - policySet: its policies.
    ///   - type: its type.
    ///   - locations: its `locations`, if any.
    /// - Returns: the entry as a JSON object.
    public static func entry(_ policySet: String, type: String = type, locations: [String]? = nil) -> JSONValue {
        var members: [String: JSONValue] = ["type": .string(type), "rarFormat": .string("cedar"), "policySet": .string(policySet)]
        if let locations { members["locations"] = .array(locations.map(JSONValue.string)) }
        return .object(members)
    }

    /// Entries as the `authorization_details` parameter.
    /// - Parameter entries: the entries.
    /// - Returns: their JSON text.
    public static func json(_ entries: [JSONValue]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(entries)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// Entries as a token response, a token's claims or a page answer them (`[[String: Any]]` from JSONSerialization).
    /// - Parameter any: the decoded member.
    /// - Returns: the entries, empty when there are none.
    public static func entries(_ any: Any?) -> [JSONValue] {
        guard let any, let data = try? JSONSerialization.data(withJSONObject: any),
            case .array(let items)? = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { return [] }
        return items
    }

    /// Whether a resource server enforcing these granted entries with ``TesseraResource/GrantedPolicyEnforcer``
    /// (every entry of the accepted types merged into one set, as it does) lets alice `action` on `document`.
    /// - Parameters:
    ///   - details: the token's `authorization_details` (or GNAP access rights as JSON).
    ///   - action: `read` or `write`.
    ///   - document: the `Docs::Doc` id.
    ///   - acceptedTypes: the types the RS accepts; `nil` for all (the enforcer's default).
    /// - Returns: `true` when allowed.
    public static func allows(
        _ details: [JSONValue],
        _ action: String,
        _ document: String,
        acceptedTypes: Set<String>? = nil
    ) -> Bool {
        guard let enforcer = try? GrantedPolicyEnforcer(acceptedTypes: acceptedTypes) else { return false }
        let request = AuthorizationRequest(
            principal: EntityUID("Docs::User", "alice"),
            action: EntityUID("Docs::Action", action),
            resource: EntityUID("Docs::Doc", document)
        )
        return enforcer.authorize(request, grant: GrantedPolicyEnforcer.Grant(authorizationDetails: details)).isAllowed
    }

    /// ``allows(_:_:_:acceptedTypes:)`` for GNAP access rights (the RS reads them the same way).
    /// - Parameters:
    ///   - access: the token's rights.
    ///   - action: `read` or `write`.
    ///   - document: the `Docs::Doc` id.
    /// - Returns: `true` when allowed.
    public static func allows(gnap access: [GNAPAccessRight], _ action: String, _ document: String) -> Bool {
        guard let enforcer = try? GrantedPolicyEnforcer() else { return false }
        let request = AuthorizationRequest(
            principal: EntityUID("Docs::User", "alice"),
            action: EntityUID("Docs::Action", action),
            resource: EntityUID("Docs::Doc", document)
        )
        return enforcer.authorize(request, grant: GrantedPolicyEnforcer.Grant(gnapAccess: access)).isAllowed
    }
}
