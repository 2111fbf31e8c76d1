public import Cedar
public import Foundation
public import TesseraProtocol
public import TesseraResource

/// Decides each tool call in Cedar (draft-cecchetti-oauth-rar-cedar; RFC 9396 §9.1: the resource
/// server enforces the `authorization_details` in the token).
///
/// A call is the Cedar request
///
/// | | value |
/// | --- | --- |
/// | principal | `Weather::User::"<token sub>"` (Tessera pins granted permits to it: `pin_principal`) |
/// | action | `Weather::Action::"<tool name>"`: one action per tool, so the AS's delegation and narrowing (which work per action) decide which tools a client may get, and the schema types each tool's arguments |
/// | resource | `Weather::Tool::"<tool name>"`, with `readOnly` and `destructive` from the tool's MCP annotations |
/// | context | `arguments` (every declared argument, defaults filled in), `scopes` (the token's scopes), `now` (set by the enforcer) |
///
/// and is allowed only when **both** the Cedar policies granted in the token (its
/// `authorization_details` entries of type ``detailsType`` with `rarFormat: cedar`) and the
/// server's own policies allow it. A token that carries no such entry (an MCP client that only
/// asked for a scope) is decided against ``defaultGrant`` instead, when the server has one.
public struct ToolAuthorizer: Sendable {
    /// The `authorization_details` type Tessera grants the weather tools under.
    public static let detailsType = "weather_tools"
    public static let namespace = "Weather"

    let enforcer: GrantedPolicyEnforcer
    let defaultGrant: GrantedPolicyEnforcer.Grant?
    let tools: EntityStore

    /// - Parameters:
    ///   - ownPolicies: the server's own Cedar policies (they must allow every call too).
    ///   - defaultGrant: the Cedar policies a token without a weather grant is decided against; `nil` refuses such tokens.
    ///   - tools: the tools, as entities.
    ///   - now: the clock, injected in tests.
    /// - Throws: when the policies or the default grant do not parse.
    public init(
        ownPolicies: String,
        defaultGrant: String?,
        tools: [WeatherTool],
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.enforcer = try GrantedPolicyEnforcer(ownPolicies: ownPolicies, acceptedTypes: [Self.detailsType], now: now)
        if let defaultGrant {
            // Parsed now, so a broken file stops the server at start instead of refusing every call.
            _ = try PolicySet(parsing: defaultGrant, filename: "default-grant")
            let entry: JSONValue = .object([
                "type": .string(Self.detailsType), "rarFormat": .string("cedar"), "policySet": .string(defaultGrant),
            ])
            self.defaultGrant = GrantedPolicyEnforcer.Grant(cacheKey: "weather-server default grant", authorizationDetails: [entry])
        } else {
            self.defaultGrant = nil
        }
        self.tools = try EntityStore(
            tools.map { tool in
                Entity(
                    uid: Self.toolUID(tool.name),
                    attributes: ["readOnly": .bool(tool.readOnly), "destructive": .bool(tool.destructive)]
                )
            }
        )
    }

    /// The verdict on one call, with the reason shown to the client when refused.
    public struct Decision: Sendable, Hashable {
        public var isAllowed: Bool
        public var reason: String?
        /// The granted policies that allowed (or forbade) the call, as `entry[i].policyN`.
        public var determiningPolicies: [String]
    }

    /// The decision for calling `tool` with checked `arguments` under `token`.
    public func decide(_ tool: WeatherTool, arguments: [String: ToolArgument], token: VerifiedAccessToken) -> Decision {
        let request = Self.request(tool: tool.name, arguments: arguments, subject: token.subject, scopes: token.scopes)
        let decision: GrantedPolicyEnforcer.Decision
        if Self.carriesWeatherGrant(token) {
            decision = enforcer.authorize(request, entities: tools, token: token)
        } else if let defaultGrant {
            decision = enforcer.authorize(request, entities: tools, grant: defaultGrant)
        } else {
            return Decision(
                isAllowed: false,
                reason:
                    "the token carries no Cedar grant for the weather tools (authorization_details type '\(Self.detailsType)') and this server has no default grant",
                determiningPolicies: []
            )
        }
        return Decision(isAllowed: decision.isAllowed, reason: decision.reason, determiningPolicies: decision.determiningPolicies)
    }

    /// The Cedar request for one call.
    public static func request(tool: String, arguments: [String: ToolArgument], subject: String, scopes: Scope) -> AuthorizationRequest {
        var record: [CedarString: CedarValue] = [:]
        for (name, value) in arguments { record[CedarString(name)] = value.cedar }
        return AuthorizationRequest(
            principal: EntityUID("\(namespace)::User", subject),
            action: EntityUID("\(namespace)::Action", tool),
            resource: toolUID(tool),
            context: [
                "arguments": .record(record),
                "scopes": .set(Set(scopes.tokens.map { CedarValue.string(CedarString($0)) })),
            ]
        )
    }

    static func toolUID(_ name: String) -> EntityUID { EntityUID("\(namespace)::Tool", name) }

    /// Whether the token has an `authorization_details` entry of our type: then that grant, and
    /// only it, decides (an entry that is not a usable Cedar policy set fails closed, never falls
    /// back to the default grant).
    static func carriesWeatherGrant(_ token: VerifiedAccessToken) -> Bool {
        (token.authorizationDetails ?? []).contains { entry in
            guard case .object(let members) = entry else { return false }
            return members["type"] == .string(detailsType)
        }
    }
}
