// The MCP server example of docs/mcp.md ("The Swift example server"): weather tools on the
// official MCP Swift SDK behind Hummingbird, protected by Tessera, each call decided in Cedar.
//
//   mcp-server-example up                      Tessera (Examples/MCPServer/tessera.yaml) + this server
//   mcp-server-example serve --issuer URL …    this server only, for a Tessera already running
import Foundation
import Hummingbird
import MCPServerExample

let usage = """
    usage:
      mcp-server-example up [--port 8001] [--as-port 9000] [--config Examples/MCPServer/tessera.yaml] [--tessera PATH]
          Starts Tessera with the example configuration, then the MCP server; Ctrl-C stops both.
          Run it from the repository root after `swift build` (it finds `tessera` next to itself).
      mcp-server-example serve --issuer URL [--host 127.0.0.1] [--port 8001] [--resource URL]
                               [--policies DIR] [--default-grant FILE|none] [--jwks-uri URL]
          Serves the MCP endpoint at http://HOST:PORT/mcp (the resource, RFC 8707, unless --resource)
          for tokens issued by the Tessera at URL. DIR holds server.cedar (the server's own policies)
          and default-grant.cedar (for tokens without a weather_tools grant); default Examples/MCPServer.

    Each tools/call is the Cedar request principal Weather::User::"<sub>", action
    Weather::Action::"<tool>", resource Weather::Tool::"<tool>", context {arguments, scopes, now};
    it runs only if the token's granted policies and the server's own policies both allow it.
    """

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--" + name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("mcp-server-example: \(message)\n".utf8))
    exit(64)
}

func read(_ path: String) -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }
    return text
}

func makeServer(issuer: String, host: String, port: Int) -> WeatherMCPServer {
    let policies = option("policies") ?? "Examples/MCPServer"
    let defaultGrant: String? =
        switch option("default-grant") {
        case "none": nil
        case let path?: read(path)
        case nil: read(policies + "/default-grant.cedar")
        }
    var configuration = WeatherMCPServer.Configuration(
        issuer: issuer,
        resource: option("resource") ?? "http://\(host):\(port)/mcp",
        ownPolicies: read(policies + "/server.cedar"),
        defaultGrant: defaultGrant
    )
    configuration.jwksURI = option("jwks-uri")
    do { return try WeatherMCPServer(configuration: configuration) } catch { fail("\(error)") }
}

func run(_ server: WeatherMCPServer, host: String, port: Int, banner: String) async throws {
    let app = Application(
        router: server.router(),
        configuration: .init(address: .hostname(host, port: port)),
        // Written unbuffered: scripts and tests wait for this line in a log file.
        onServerRunning: { _ in FileHandle.standardOutput.write(Data((banner + "\n").utf8)) }
    )
    try await app.runService()
}

let host = option("host") ?? "127.0.0.1"
guard let port = Int(option("port") ?? "8001") else { fail("--port must be a number") }

switch CommandLine.arguments.dropFirst().first {
case "serve":
    guard let issuer = option("issuer") else { fail("serve needs --issuer URL\n\n" + usage) }
    let server = makeServer(issuer: issuer, host: host, port: port)
    try await run(
        server,
        host: host,
        port: port,
        banner: "MCP server listening on \(server.configuration.resource) (authorization server \(issuer))"
    )
case "up":
    let tessera =
        option("tessera")
        ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("tessera")
        .path
    let authorizationServer: TesseraProcess
    do {
        authorizationServer = try TesseraProcess.start(
            binary: tessera,
            config: option("config") ?? "Examples/MCPServer/tessera.yaml",
            host: host,
            port: Int(option("as-port") ?? "9000") ?? 9000
        )
    } catch { fail("\(error)") }
    let server = makeServer(issuer: authorizationServer.issuer, host: host, port: port)
    let banner = """
        Tessera (authorization server): \(authorizationServer.issuer)   user mona / mona-password-1
        MCP server (resource):          \(server.configuration.resource)
        Point an MCP client at the MCP server; it finds Tessera from the 401 (RFC 9728).
        """
    defer { authorizationServer.stop() }
    try await run(server, host: host, port: port, banner: banner)
case "--help", "-h", "help":
    print(usage)
default:
    fail("unknown command\n\n" + usage)
}
