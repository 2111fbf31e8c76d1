public import MCP
public import TesseraResource

/// Runs `tools/call` for one verified token: checks the arguments, asks ``ToolAuthorizer``, and
/// runs the tool only when allowed.
///
/// How refusals reach the client (MCP 2025-11-25, "Tools" → "Error Handling"): an unknown tool is
/// a JSON-RPC protocol error (-32602); arguments that do not fit the tool's schema, and calls the
/// Cedar policies do not permit, are **tool execution errors** (`isError: true`) whose text says
/// what was refused and why, so a model can correct itself (ask for Berlin rather than Paris).
/// A policy refusal is not an HTTP 403 `insufficient_scope`: that would send the client's SDK into
/// a step-up authorization for scopes it already has, and a grant's Cedar conditions are not scopes.
public struct ToolCalls: Sendable {
    public let tools: [WeatherTool]
    public let authorizer: ToolAuthorizer

    public init(tools: [WeatherTool], authorizer: ToolAuthorizer) {
        self.tools = tools
        self.authorizer = authorizer
    }

    /// `tools/list`: every tool (listing is not an action; calling is).
    public var list: ListTools.Result { ListTools.Result(tools: tools.map(\.mcpTool)) }

    /// `tools/call`.
    public func call(_ parameters: CallTool.Parameters, token: VerifiedAccessToken) async throws -> CallTool.Result {
        guard let tool = tools.first(where: { $0.name == parameters.name }) else {
            throw MCPError.invalidParams("Unknown tool: \(parameters.name)")
        }
        let arguments: [String: ToolArgument]
        switch tool.arguments(from: parameters.arguments) {
        case .success(let checked): arguments = checked
        case .failure(.invalidArguments(let message)), .failure(.unknownTool(let message)):
            return Self.error(message, structured: ["error": "invalid_arguments", "tool": .string(tool.name)])
        }
        let decision = authorizer.decide(tool, arguments: arguments, token: token)
        guard decision.isAllowed else {
            let reason = decision.reason ?? "the token's granted policies do not allow this call"
            return Self.error(
                "Not permitted: \(tool.signature(arguments)). \(reason)",
                structured: [
                    "error": "forbidden",
                    "tool": .string(tool.name),
                    "reason": .string(reason),
                    "determiningPolicies": .array(decision.determiningPolicies.map { .string($0) }),
                ]
            )
        }
        return await tool.run(arguments)
    }

    static func error(_ message: String, structured: [String: Value]) -> CallTool.Result {
        CallTool.Result(
            content: [.text(text: message, annotations: nil, _meta: nil)],
            structuredContent: Value.object(structured) as Value?,
            isError: true
        )
    }
}
