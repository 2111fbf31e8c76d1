import Foundation
import HTTPMessageSignatures
import Hummingbird
import MCPServerExample
import TesseraClient
import TesseraEngine
import TesseraProtocol
import TesseraResource
import TesseraServer
import TesseraTesting
import Testing

/// The example server over real HTTP on loopback, with a Tessera in process issuing real tokens
/// (the example's schema and delegation policies as an `authorization_details` type): the 401/403
/// challenges the MCP authorization spec asks for, RFC 9728 metadata, DPoP-bound tokens, and
/// tool calls decided by the granted Cedar policies, all through the MCP SDK's transport.
@Suite struct WeatherMCPServerHTTPTests {
    struct Stack {
        let issuer: String
        let resource: String
        let transport: AsyncHTTPClientTransport

        func client(dpop: Bool, id: String = TestClients.secretClientID) -> OAuthClient {
            OAuthClient(
                tokenEndpoint: issuer + "/token",
                clientID: id,
                authentication: .clientSecretBasic(TestClients.secret),
                dpop: dpop ? DPoPProofSigner() : nil,
                transport: transport
            )
        }

        func token(
            dpop: Bool,
            scope: String = "mcp:tools",
            policySet: String? = nil,
            client id: String = TestClients.secretClientID
        ) async throws
            -> (OAuthClient, TokenResponse)
        {
            let client = client(dpop: dpop, id: id)
            var form = [("grant_type", "client_credentials"), ("scope", scope), ("resource", resource)]
            if let policySet {
                let entry: [String: String] = ["type": ToolAuthorizer.detailsType, "rarFormat": "cedar", "policySet": policySet]
                form.append(("authorization_details", String(decoding: try JSONEncoder().encode([entry]), as: UTF8.self)))
            }
            return (client, try await client.requestToken(form))
        }
    }

    static let example = ToolDecisionTests.example.path

    func withStack(_ body: @escaping @Sendable (Stack) async throws -> Void) async throws {
        let asApp = try await TestServer.build(configure: { configuration in
            configuration.clients = TestClients.definitions.map { client in
                guard client.id == TestClients.secretClientID else { return client }
                return ClientDefinition(
                    id: client.id,
                    auth: "client_secret_basic",
                    secret: TestClients.secret,
                    grantTypes: ["client_credentials"],
                    scopes: "mcp:tools read"
                )
            }
            // The operators' console: the only client delegation.cedar lets have delete_forecast_cache.
            configuration.clients.append(
                ClientDefinition(
                    id: "weather-ops",
                    auth: "client_secret_basic",
                    secret: TestClients.secret,
                    grantTypes: ["client_credentials"],
                    scopes: "mcp:tools weather:admin"
                )
            )
            configuration.authorizationDetailsTypes = [
                AuthorizationDetailsTypeDefinition(
                    type: ToolAuthorizer.detailsType,
                    cedar: .init(
                        schemaFile: Self.example + "/weather.cedarschema",
                        policyFile: Self.example + "/delegation.cedar",
                        pinPrincipal: "Weather::User"
                    )
                )
            ]
        })
        let issuer = asApp.engine.configuration.issuer
        let port = try FreePort.find(host: "127.0.0.1")
        let resource = "http://127.0.0.1:\(port)/mcp"
        let server = try WeatherMCPServer(
            configuration: .init(
                issuer: issuer,
                resource: resource,
                ownPolicies: try String(contentsOfFile: Self.example + "/server.cedar", encoding: .utf8),
                defaultGrant: try String(contentsOfFile: Self.example + "/default-grant.cedar", encoding: .utf8)
            )
        )
        let mcpApp = Application(router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: port)))
        let transport = AsyncHTTPClientTransport()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await asApp.application.runService() }
            group.addTask { try await mcpApp.runService() }
            defer { group.cancelAll() }
            try await Self.waitUntilServing(issuer + "/.well-known/oauth-authorization-server", transport)
            try await Self.waitUntilServing("http://127.0.0.1:\(port)/.well-known/oauth-protected-resource/mcp", transport)
            try await body(Stack(issuer: issuer, resource: resource, transport: transport))
        }
    }

    static func waitUntilServing(_ url: String, _ transport: AsyncHTTPClientTransport) async throws {
        for _ in 0..<200 {
            if let response = try? await transport.send(HTTPSignatureRequest(method: "GET", targetURI: url)), response.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw OAuthClientError("\(url) did not come up")
    }

    static let mcpHeaders = [
        HTTPSignatureField(name: "Content-Type", value: "application/json"),
        HTTPSignatureField(name: "Accept", value: "application/json, text/event-stream"),
    ]

    static func rpc(_ method: String, _ params: String, id: Int = 1) -> [UInt8] {
        Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#.utf8)
    }

    static func callTool(_ name: String, _ arguments: String) -> [UInt8] {
        rpc("tools/call", #"{"name":"\#(name)","arguments":\#(arguments)}"#)
    }

    static func json(_ response: TesseraHTTPResponse) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            "\(String(decoding: response.body, as: UTF8.self))"
        )
    }

    static func result(_ response: TesseraHTTPResponse) throws -> [String: Any] {
        #expect(response.status == 200)
        return try #require(try json(response)["result"] as? [String: Any], "\(String(decoding: response.body, as: UTF8.self))")
    }

    static func challenges(_ response: TesseraHTTPResponse) -> [AuthenticationChallenge] {
        response.headerFields.filter { $0.name.lowercased() == "www-authenticate" }.flatMap { AuthenticationChallenge.parse($0.value) }
    }

    @Test func withoutATokenTheClientIsToldWhereTheMetadataIsAndWhichScopeToAskFor() async throws {
        try await withStack { stack in
            let response = try await stack.transport.send(
                HTTPSignatureRequest(
                    method: "POST",
                    targetURI: stack.resource,
                    headerFields: Self.mcpHeaders,
                    body: Self.rpc("tools/list", "{}")
                )
            )
            #expect(response.status == 401)
            let bearer = try #require(Self.challenges(response).first { $0.scheme == "Bearer" })
            #expect(
                bearer["resource_metadata"]
                    == "http://127.0.0.1:\(URLComponents(string: stack.resource)!.port!)/.well-known/oauth-protected-resource/mcp"
            )
            #expect(bearer["scope"] == "mcp:tools")

            let metadata = try await stack.transport.send(HTTPSignatureRequest(method: "GET", targetURI: bearer["resource_metadata"]!))
            let document = try Self.json(metadata)
            #expect(document["resource"] as? String == stack.resource)
            #expect(document["authorization_servers"] as? [String] == [stack.issuer])
            #expect(document["scopes_supported"] as? [String] == ["mcp:tools"])
        }
    }

    @Test func aTokenWithoutTheScopeGets403InsufficientScopeNamingIt() async throws {
        try await withStack { stack in
            let (client, token) = try await stack.token(dpop: false, scope: "read")
            let response = try await client.call(
                method: "POST",
                url: stack.resource,
                token: token,
                headers: Self.mcpHeaders,
                body: Self.rpc("tools/list", "{}")
            )
            #expect(response.status == 403)
            let bearer = try #require(Self.challenges(response).first)
            #expect(bearer["error"] == "insufficient_scope" && bearer["scope"] == "mcp:tools")
            #expect(bearer["resource_metadata"] != nil)
        }
    }

    @Test func aDPoPBoundGrantForBerlinCallsBerlinAndIsRefusedParisWithAToolError() async throws {
        try await withStack { stack in
            let policy =
                #"permit (principal, action == Weather::Action::"get_forecast", resource) when { context.arguments.city == "Berlin" };"#
            let (client, token) = try await stack.token(dpop: true, policySet: policy)
            #expect(token.tokenType == "DPoP")
            // Tessera pinned the permit to the subject, as the server's principal is built.
            guard case .object(let entry)? = token.authorizationDetails?.first, let granted = entry["policySet"]?.stringValue else {
                Issue.record("no granted policy set: \(String(describing: token.authorizationDetails))")
                return
            }
            #expect(granted.contains(#"principal == Weather::User::"\#(TestClients.secretClientID)""#), "\(granted)")

            let initialize = try await client.call(
                method: "POST",
                url: stack.resource,
                token: token,
                headers: Self.mcpHeaders,
                body: Self.rpc("initialize", #"{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}"#)
            )
            #expect(try Self.result(initialize)["serverInfo"] != nil)
            let tools = try Self.result(
                try await client.call(
                    method: "POST",
                    url: stack.resource,
                    token: token,
                    headers: Self.mcpHeaders,
                    body: Self.rpc("tools/list", "{}")
                )
            )
            #expect((tools["tools"] as? [[String: Any]])?.count == 3)

            let berlin = try Self.result(
                try await client.call(
                    method: "POST",
                    url: stack.resource,
                    token: token,
                    headers: Self.mcpHeaders,
                    body: Self.callTool("get_forecast", #"{"city":"Berlin"}"#)
                )
            )
            #expect(berlin["isError"] as? Bool != true, "\(berlin)")
            let paris = try Self.result(
                try await client.call(
                    method: "POST",
                    url: stack.resource,
                    token: token,
                    headers: Self.mcpHeaders,
                    body: Self.callTool("get_forecast", #"{"city":"Paris"}"#)
                )
            )
            #expect(paris["isError"] as? Bool == true)
            #expect("\(paris["content"] ?? "")".contains("no granted policy permits this request"), "\(paris)")
            // The destructive tool was not delegable to this client: Tessera refuses to grant it at all.
            await #expect(throws: OAuthError.self) {
                try await stack.token(
                    dpop: true,
                    policySet: #"permit (principal, action == Weather::Action::"delete_forecast_cache", resource);"#
                )
            }
        }
    }

    @Test func aToolThatNeedsAnotherScopeGets403NamingEveryScopeItNeeds() async throws {
        try await withStack { stack in
            let grant =
                #"permit (principal, action in [Weather::Action::"get_forecast", Weather::Action::"delete_forecast_cache"], resource);"#
            let (client, token) = try await stack.token(dpop: false, policySet: grant, client: "weather-ops")
            let delete = Self.callTool("delete_forecast_cache", "{}")
            let refused = try await client.call(method: "POST", url: stack.resource, token: token, headers: Self.mcpHeaders, body: delete)
            #expect(refused.status == 403)
            let challenge = try #require(Self.challenges(refused).first)
            #expect(challenge.scheme == "Bearer" && challenge["error"] == "insufficient_scope")
            #expect(challenge["scope"] == "mcp:tools weather:admin")
            #expect(challenge["resource_metadata"]?.hasSuffix("/.well-known/oauth-protected-resource/mcp") == true)
            // A batch hiding the call among others is refused the same way.
            let batch = Array(
                "[\(String(decoding: Self.rpc("tools/list", "{}", id: 1), as: UTF8.self)),\(String(decoding: delete, as: UTF8.self))]".utf8
            )
            #expect(
                try await client.call(method: "POST", url: stack.resource, token: token, headers: Self.mcpHeaders, body: batch).status
                    == 403
            )
            // Tools that need no more than the endpoint's scope are not affected.
            let forecast = try await client.call(
                method: "POST",
                url: stack.resource,
                token: token,
                headers: Self.mcpHeaders,
                body: Self.callTool("get_forecast", #"{"city":"Lyon"}"#)
            )
            #expect(try Self.result(forecast)["isError"] as? Bool != true)

            // Stepped up: the same grant with the scope runs the tool.
            let (admin, adminToken) = try await stack.token(
                dpop: false,
                scope: "mcp:tools weather:admin",
                policySet: grant,
                client: "weather-ops"
            )
            let deleted = try Self.result(
                try await admin.call(method: "POST", url: stack.resource, token: adminToken, headers: Self.mcpHeaders, body: delete)
            )
            #expect(deleted["isError"] as? Bool != true, "\(deleted)")
        }
    }

    @Test func aDPoPBoundTokenIsRefusedAsBearerAndWithoutAProofForThisRequest() async throws {
        try await withStack { stack in
            let (client, token) = try await stack.token(dpop: true)
            var downgraded = token
            downgraded.tokenType = "Bearer"
            let asBearer = try await client.call(
                method: "POST",
                url: stack.resource,
                token: downgraded,
                headers: Self.mcpHeaders,
                body: Self.rpc("tools/list", "{}")
            )
            #expect(asBearer.status == 401)
            #expect(Self.challenges(asBearer).first?["error"] == "invalid_token")
            // A proof made for another URL does not cover the MCP endpoint.
            let signer = try #require(client.dpop)
            let proof = signer.proof(method: "POST", uri: stack.issuer + "/elsewhere", accessToken: token.accessToken, nonce: nil)
            let misdirected = try await stack.transport.send(
                HTTPSignatureRequest(
                    method: "POST",
                    targetURI: stack.resource,
                    headerFields: Self.mcpHeaders + [
                        HTTPSignatureField(name: "Authorization", value: "DPoP " + token.accessToken),
                        HTTPSignatureField(name: "DPoP", value: proof),
                    ],
                    body: Self.rpc("tools/list", "{}")
                )
            )
            #expect(misdirected.status == 401)
            #expect(Self.challenges(misdirected).first?.scheme == "DPoP")
        }
    }

    @Test func aTokenForAnotherResourceIsRefused() async throws {
        try await withStack { stack in
            let client = stack.client(dpop: false)
            let elsewhere = try await client.requestToken([
                ("grant_type", "client_credentials"), ("scope", "mcp:tools"), ("resource", "https://other.example/mcp"),
            ])
            let response = try await client.call(
                method: "POST",
                url: stack.resource,
                token: elsewhere,
                headers: Self.mcpHeaders,
                body: Self.rpc("tools/list", "{}")
            )
            #expect(response.status == 401)
            #expect(Self.challenges(response).first?["error"] == "invalid_token")
        }
    }
}
