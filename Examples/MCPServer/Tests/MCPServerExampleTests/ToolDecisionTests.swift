import Foundation
import MCP
import MCPServerExample
import TesseraProtocol
import TesseraResource
import Testing

/// The Cedar decision for each tool call, through ``ToolCalls`` (what the MCP `tools/call` handler
/// runs): the token's granted policy set and the server's own policies must both allow the call.
@Suite struct ToolDecisionTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func file(_ name: String) throws -> String {
        try String(contentsOf: example.appendingPathComponent(name), encoding: .utf8)
    }

    /// The server as shipped: server.cedar and default-grant.cedar.
    static func calls(defaultGrant: Bool = true, cache: ForecastCache = ForecastCache()) throws -> ToolCalls {
        let tools = WeatherTools.all(cache: cache)
        let authorizer = try ToolAuthorizer(
            ownPolicies: try file("server.cedar"),
            defaultGrant: defaultGrant ? try file("default-grant.cedar") : nil,
            tools: tools
        )
        return ToolCalls(tools: tools, authorizer: authorizer)
    }

    /// A token as Tessera grants it: the requested permits pinned to the subject (`pin_principal`).
    static func token(
        policySet: String?,
        scopes: [String] = ["mcp:tools"],
        subject: String = "mona",
        type: String = ToolAuthorizer.detailsType
    ) -> VerifiedAccessToken {
        let details: [JSONValue]? = policySet.map {
            [.object(["type": .string(type), "rarFormat": .string("cedar"), "policySet": .string($0)])]
        }
        return VerifiedAccessToken(
            kind: .bearer,
            issuer: "https://as.example",
            subject: subject,
            clientID: "mcp-desktop",
            scopes: Scope(scopes),
            audience: ["https://mcp.example/mcp"],
            expiresAt: Date().addingTimeInterval(300),
            jti: UUID().uuidString,
            authorizationDetails: details
        )
    }

    static let berlinOnly = """
        permit (principal == Weather::User::"mona", action == Weather::Action::"get_forecast", resource)
        when { context.arguments.city == "Berlin" };
        """

    static func call(
        _ calls: ToolCalls,
        _ name: String,
        _ arguments: [String: Value] = [:],
        token: VerifiedAccessToken
    ) async throws -> CallTool.Result {
        try await calls.call(CallTool.Parameters(name: name, arguments: arguments), token: token)
    }

    static func text(_ result: CallTool.Result) -> String {
        result.content.compactMap { if case .text(let text, _, _) = $0 { text } else { nil } }.joined()
    }

    @Test func aGrantForBerlinForecastsAllowsExactlyThose() async throws {
        let calls = try Self.calls()
        let token = Self.token(policySet: Self.berlinOnly)
        let berlin = try await Self.call(calls, "get_forecast", ["city": "Berlin"], token: token)
        #expect(berlin.isError != true, "\(Self.text(berlin))")
        #expect(Self.text(berlin).hasPrefix("Forecast for Berlin"))
        #expect(berlin.structuredContent?.objectValue?["days"]?.arrayValue?.count == 3)

        let paris = try await Self.call(calls, "get_forecast", ["city": "Paris"], token: token)
        #expect(paris.isError == true)
        #expect(Self.text(paris).contains(#"Not permitted: get_forecast(city: "Paris", days: 3)"#), "\(Self.text(paris))")
        #expect(Self.text(paris).contains("no granted policy permits this request"))
        #expect(paris.structuredContent?.objectValue?["error"] == "forbidden")

        // Another tool, or another person holding the same grant, is refused too.
        #expect(try await Self.call(calls, "get_alerts", ["region": "Brandenburg"], token: token).isError == true)
        let someoneElse = Self.token(policySet: Self.berlinOnly, subject: "mallory")
        #expect(try await Self.call(calls, "get_forecast", ["city": "Berlin"], token: someoneElse).isError == true)
    }

    @Test func argumentsAreCheckedBeforeTheDecisionAndDefaultsReachTheContext() async throws {
        let calls = try Self.calls()
        let token = Self.token(
            policySet: """
                permit (principal, action == Weather::Action::"get_forecast", resource) when { context.arguments.days <= 7 };
                """
        )
        #expect(try await Self.call(calls, "get_forecast", ["city": "Oslo"], token: token).isError != true)  // days = 3 by default
        #expect(try await Self.call(calls, "get_forecast", ["city": "Oslo", "days": 7], token: token).isError != true)
        #expect(try await Self.call(calls, "get_forecast", ["city": "Oslo", "days": 8], token: token).isError == true)
        for bad: [String: Value] in [
            [:], ["city": ""], ["city": 5], ["city": "Oslo", "days": 15], ["city": "Oslo", "days": 2.5], ["city": "Oslo", "colour": "red"],
        ] {
            let result = try await Self.call(calls, "get_forecast", bad, token: token)
            #expect(
                result.isError == true && result.structuredContent?.objectValue?["error"] == "invalid_arguments",
                "\(bad): \(Self.text(result))"
            )
        }
        // An unknown tool is a protocol error (-32602), not a tool result.
        await #expect(throws: MCPError.invalidParams("Unknown tool: rain_dance")) {
            try await Self.call(calls, "rain_dance", token: token)
        }
    }

    @Test func theServersOwnPolicyRefusesDestructiveToolsWithoutTheAdminScopeWhateverTheGrant() async throws {
        let cache = ForecastCache()
        let calls = try Self.calls(cache: cache)
        let grant = """
            permit (principal, action in [Weather::Action::"get_forecast", Weather::Action::"delete_forecast_cache"], resource);
            """
        _ = try await Self.call(calls, "get_forecast", ["city": "Rome"], token: Self.token(policySet: grant))
        let refused = try await Self.call(calls, "delete_forecast_cache", token: Self.token(policySet: grant))
        #expect(refused.isError == true)
        #expect(Self.text(refused).contains("the resource server's own policies deny"), "\(Self.text(refused))")
        #expect(await cache.count == 1)

        let admin = Self.token(policySet: grant, scopes: ["mcp:tools", "weather:admin"])
        let deleted = try await Self.call(calls, "delete_forecast_cache", token: admin)
        #expect(deleted.isError != true, "\(Self.text(deleted))")
        #expect(await cache.count == 0)
        // The admin scope alone grants nothing: the grant must name the tool.
        let adminBerlin = Self.token(policySet: Self.berlinOnly, scopes: ["mcp:tools", "weather:admin"])
        #expect(try await Self.call(calls, "delete_forecast_cache", token: adminBerlin).isError == true)
    }

    @Test func aGrantedForbidWinsOverAPermit() async throws {
        let calls = try Self.calls()
        let token = Self.token(
            policySet: """
                permit (principal, action in [Weather::Action::"get_forecast", Weather::Action::"get_alerts"], resource);
                forbid (principal, action, resource) when { context.arguments has region && context.arguments.region == "Bavaria" };
                """
        )
        #expect(try await Self.call(calls, "get_alerts", ["region": "Brandenburg"], token: token).isError != true)
        let bavaria = try await Self.call(calls, "get_alerts", ["region": "Bavaria"], token: token)
        #expect(bavaria.isError == true)
        #expect(Self.text(bavaria).contains("forbidden by the granted policy entry0.policy1"), "\(Self.text(bavaria))")
    }

    @Test func tokensWithoutAWeatherGrantGetTheDefaultGrantOrNothing() async throws {
        let scopeOnly = Self.token(policySet: nil)
        let calls = try Self.calls()
        #expect(try await Self.call(calls, "get_forecast", ["city": "Paris"], token: scopeOnly).isError != true)
        #expect(try await Self.call(calls, "get_alerts", ["region": "Bavaria"], token: scopeOnly).isError != true)
        #expect(
            try await Self.call(calls, "delete_forecast_cache", token: Self.token(policySet: nil, scopes: ["mcp:tools", "weather:admin"]))
                .isError == true
        )
        // A Cedar grant of another type (another resource server's) is not a weather grant.
        let bank = Self.token(policySet: "permit (principal, action, resource);", type: "payment_initiation")
        #expect(try await Self.call(calls, "get_forecast", ["city": "Paris"], token: bank).isError != true)

        let strict = try Self.calls(defaultGrant: false)
        let refused = try await Self.call(strict, "get_forecast", ["city": "Paris"], token: scopeOnly)
        #expect(refused.isError == true)
        #expect(Self.text(refused).contains("carries no Cedar grant for the weather tools"))
    }

    @Test func aWeatherGrantThatCannotBeUsedFailsClosedInsteadOfFallingBackToTheDefault() async throws {
        let calls = try Self.calls()
        for broken in [
            "permit (principal, action, resource", "permit (principal, action, resource) when { context.arguments.town == \"Berlin\" };",
        ] {
            let result = try await Self.call(calls, "get_forecast", ["city": "Berlin"], token: Self.token(policySet: broken))
            #expect(result.isError == true, "\(broken)")
        }
        let noPolicySet = VerifiedAccessToken(
            kind: .bearer,
            issuer: "https://as.example",
            subject: "mona",
            clientID: nil,
            scopes: Scope(["mcp:tools"]),
            audience: [],
            expiresAt: Date().addingTimeInterval(300),
            jti: "j",
            authorizationDetails: [.object(["type": .string(ToolAuthorizer.detailsType)])]
        )
        #expect(try await Self.call(calls, "get_forecast", ["city": "Berlin"], token: noPolicySet).isError == true)
    }

    @Test func theCatalogDescribesEachToolsSchemaAndAnnotations() throws {
        let tools = try Self.calls().list.tools
        #expect(tools.map(\.name) == ["get_forecast", "get_alerts", "delete_forecast_cache"])
        let forecast = try #require(tools.first)
        #expect(forecast.inputSchema.objectValue?["required"] == ["city"])
        #expect(forecast.inputSchema.objectValue?["additionalProperties"] == false)
        #expect(tools.last?.annotations.destructiveHint == true && forecast.annotations.readOnlyHint == true)
    }
}
