import Foundation
import MCP
import TesseraProtocol
import TesseraResource

/// The scope check per tool, before the JSON-RPC message reaches the MCP server: the transport's
/// validation runs before dispatch and cannot see which tool is called, so the route looks.
///
/// MCP authorization (2026-07-28, "Runtime Insufficient Scope Errors"): a request the token's
/// scopes do not cover gets HTTP 403 with `WWW-Authenticate: Bearer error="insufficient_scope",
/// scope="…", resource_metadata="…"`, listing **every** scope the operation needs (the endpoint's
/// and the tool's) in one challenge, so the client re-authorizes once with their union.
enum ToolScopes {
    /// The refusal for `body` under `token`, or `nil` when every `tools/call` in it is covered.
    static func refusal(
        for body: Data?,
        token: VerifiedAccessToken,
        tools: [WeatherTool],
        endpointScopes: Scope,
        metadataURL: String?
    ) -> ResourceRefusal? {
        guard let body, let message = try? JSONSerialization.jsonObject(with: body) else { return nil }
        let messages = (message as? [Any]) ?? [message]
        var needed = Set(endpointScopes.tokens)
        var refused: [String] = []
        for case let request as [String: Any] in messages {
            guard request["method"] as? String == CallTool.name, let name = (request["params"] as? [String: Any])?["name"] as? String,
                let tool = tools.first(where: { $0.name == name }), !tool.requiredScopes.isEmpty
            else { continue }
            needed.formUnion(tool.requiredScopes.tokens)
            if !token.hasScopes(tool.requiredScopes) { refused.append(name) }
        }
        guard !refused.isEmpty else { return nil }
        let scope = Scope(needed)
        let error = OAuthError(.insufficientScope, "calling \(refused.joined(separator: ", ")) needs the scope \(scope)")
        var parameters: [(name: String, value: String)] = [
            ("error", error.code.rawValue), ("error_description", error.message), ("scope", scope.description),
        ]
        if let metadataURL { parameters.append(("resource_metadata", metadataURL)) }
        return ResourceRefusal(
            status: 403,
            error: error,
            challenges: [AuthenticationChallenge(scheme: token.kind.rawValue, parameters: parameters)]
        )
    }
}
