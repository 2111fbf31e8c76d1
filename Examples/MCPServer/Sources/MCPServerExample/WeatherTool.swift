public import MCP
public import TesseraProtocol

/// A tool of the example server: what MCP clients see in `tools/list`, the parameters its
/// arguments are checked against, and the Cedar entity it is (`Weather::Tool::"<name>"`, with its
/// MCP annotations as attributes so policies can say `resource.destructive`).
public struct WeatherTool: Sendable {
    public var name: String
    public var title: String
    public var description: String
    public var parameters: [ToolParameter]
    /// MCP `readOnlyHint`, and the Cedar attribute `readOnly`.
    public var readOnly: Bool
    /// MCP `destructiveHint`, and the Cedar attribute `destructive`.
    public var destructive: Bool
    /// Scopes a token needs to call this tool, besides the endpoint's: a call without them is
    /// answered HTTP 403 `insufficient_scope` naming every scope needed, so the client can step
    /// up (MCP authorization, "Runtime Insufficient Scope Errors").
    public var requiredScopes: Scope
    let run: @Sendable ([String: ToolArgument]) async -> CallTool.Result

    public init(
        name: String,
        title: String,
        description: String,
        parameters: [ToolParameter],
        readOnly: Bool,
        destructive: Bool,
        requiredScopes: Scope = .empty,
        run: @escaping @Sendable ([String: ToolArgument]) async -> CallTool.Result
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.parameters = parameters
        self.readOnly = readOnly
        self.destructive = destructive
        self.requiredScopes = requiredScopes
        self.run = run
    }

    /// The MCP tool description (`tools/list`).
    public var mcpTool: Tool {
        var properties: [String: Value] = [:]
        for parameter in parameters { properties[parameter.name] = parameter.jsonSchema }
        let required = parameters.filter { $0.defaultValue == nil }.map { Value.string($0.name) }
        return Tool(
            name: name,
            title: title,
            description: description,
            inputSchema: [
                "type": "object", "properties": .object(properties), "required": .array(required), "additionalProperties": false,
            ],
            annotations: .init(
                title: title,
                readOnlyHint: readOnly,
                destructiveHint: destructive,
                idempotentHint: true,
                openWorldHint: false
            )
        )
    }

    /// The arguments of a call, checked against ``parameters`` with defaults filled in, so the
    /// Cedar context always has every declared argument (a policy never fails on a missing one).
    public func arguments(from given: [String: Value]?) -> Result<[String: ToolArgument], ToolCallError> {
        let given = given ?? [:]
        if let unknown = given.keys.sorted().first(where: { key in !parameters.contains { $0.name == key } }) {
            return .failure(.invalidArguments("\(name) has no argument '\(unknown)'"))
        }
        var checked: [String: ToolArgument] = [:]
        for parameter in parameters {
            switch parameter.argument(from: given[parameter.name]) {
            case .success(let value): checked[parameter.name] = value
            case .failure(let error): return .failure(error)
            }
        }
        return .success(checked)
    }

    /// `get_forecast(city: "Berlin", days: 3)`, for messages.
    public func signature(_ arguments: [String: ToolArgument]) -> String {
        let rendered = parameters.compactMap { parameter in arguments[parameter.name].map { "\(parameter.name): \($0)" } }
        return "\(name)(\(rendered.joined(separator: ", ")))"
    }
}
