import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceLifecycle
import TesseraEngine
import TesseraProtocol
import TesseraServer

/// What the demo walks share: quiet logs, their servers in one service group, and the narration
/// (steps, token responses, decoded tokens).
enum DemoNarration {
    /// - Parameters:
    ///   - host: the address to listen on.
    ///   - port: the port.
    ///   - id: the one client's id.
    ///   - secret: its secret (`client_secret_basic`).
    ///   - grantTypes: its grant types.
    ///   - scopes: its scopes.
    /// - Returns: A server on an in-memory database with one client.
    static func server(
        host: String,
        port: Int,
        client id: String,
        secret: String,
        grantTypes: [String],
        scopes: String
    )
        -> ServerConfiguration
    {
        var configuration = ServerConfiguration()
        (configuration.host, configuration.port, configuration.database) = (host, port, "sqlite::memory:")
        configuration.clients = [
            ClientDefinition(id: id, auth: "client_secret_basic", secret: secret, grantTypes: grantTypes, scopes: scopes)
        ]
        return configuration
    }

    /// Only warnings and errors on standard error: the walk's own printing is the output.
    static func quietLogs() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
    }

    /// Runs `services` in one service group, waits until every URL of `ready` answers 200, runs `walk`,
    /// then shuts every server down gracefully (also when the walk fails).
    /// - Parameters:
    ///   - services: the walk's servers.
    ///   - ready: a URL per server that answers 200 once it listens.
    ///   - http: the client that probes them.
    ///   - walk: the narrated flow.
    /// - Throws: What the servers or the walk throw; `ValidationError` when a server does not start.
    static func run(
        _ services: [any Service],
        readyAt ready: [String],
        http: HTTPClient = .shared,
        _ walk: () async throws -> Void
    ) async throws {
        let group = ServiceGroup(configuration: .init(services: services, logger: Logger(label: "tessera-demo")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                for url in ready { try await waitUntilReady(url, http: http) }
                try await walk()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    private static func waitUntilReady(_ url: String, http: HTTPClient) async throws {
        for _ in 0..<100 {
            if let response = try? await http.execute(HTTPClientRequest(url: url), timeout: .seconds(1)), response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("the demo server at \(url) did not start")
    }

    static func step(_ number: Int, _ title: String) {
        print("\n── Step \(number): \(title)")
    }

    /// - Parameters:
    ///   - json: a token response.
    ///   - member: the member the walk needs.
    /// - Returns: The member's string value.
    /// - Throws: `ValidationError` when it is missing.
    static func require(_ json: [String: Any], _ member: String) throws -> String {
        guard let value = json[member] as? String else { throw ValidationError("the demo expected '\(member)' in \(json)") }
        return value
    }

    /// Prints a JWT's header and claims.
    /// - Parameter token: a compact JWS.
    static func show(token: String) {
        guard let jws = try? CompactJWS(parsing: token) else { return }
        print("  header:  \(pretty(["alg": jws.header.alg, "kid": jws.header.kid ?? "", "typ": jws.header.typ ?? ""]))")
        let claims = (try? JSONSerialization.jsonObject(with: jws.payload)) as? [String: Any] ?? [:]
        print("  claims:  \(pretty(claims))")
    }

    /// - Parameter object: a JSON object.
    /// - Returns: It on one line, keys sorted.
    static func pretty(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "\(object)"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Posts a form to `issuer`'s token endpoint with the client's secret, printing the request and the answer.
    /// - Parameters:
    ///   - issuer: the authorization server.
    ///   - clientID: the client.
    ///   - secret: its secret (Basic authentication).
    ///   - parameters: the form.
    ///   - headers: more request headers (a DPoP proof).
    ///   - http: the client to send with.
    /// - Returns: The status and the JSON body.
    /// - Throws: Transport errors.
    static func postToken(
        _ issuer: String,
        clientID: String,
        secret: String,
        _ parameters: [(String, String)],
        headers: [(String, String)] = [],
        http: HTTPClient = .shared
    ) async throws -> (status: Int, json: [String: Any]) {
        let url = issuer + "/token"
        print("  POST \(url)")
        print("  Authorization: Basic <\(clientID):secret>" + (headers.isEmpty ? "" : "    DPoP: <proof: htm POST, htu \(url)>"))
        for (name, value) in parameters {
            print("    \(name)=\(value.count > 60 ? String(value.prefix(40)) + "…" : value)")
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Authorization", value: "Basic " + Data("\(clientID):\(secret)".utf8).base64EncodedString())
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: FormParameters(parameters).encoded))
        let response = try await http.execute(request, timeout: .seconds(10))
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        var shown = json
        for member in ["access_token", "id_token"] {
            if let token = shown[member] as? String { shown[member] = String(token.prefix(24)) + "…" }
        }
        print("  → HTTP \(response.status.code) \(pretty(shown))")
        return (Int(response.status.code), json)
    }
}
