import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TesseraProtocol
import Testing

/// `resource` required per client (RFC 8707 §2; MCP authorization 2026-07-28 has clients send it in
/// every authorization and token request) as a stored client property: a client added with
/// `tessera clients add --require-resource` is refused with `invalid_target` at `/authorize` (back
/// to the client with `state` and `iss`, RFC 9207), PAR and `/token` when it names no resource, by a
/// server whose configuration file says nothing about it. `tessera clients show` prints the mark.
@Suite(.serialized) struct RequireResourceProcessTests {
    static let secret = "cli-agent-secret-0123456789-abcdefghijklmn"
    static let callback = "http://127.0.0.1:9/cb"
    static let resource = "https://mcp.example.com/mcp"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    @Test func aCLIAddedClientMarkedRequireResourceMustNameItsResource() async throws {
        let directory = try ServeProcessTests.temporaryDirectory()
        let common = [
            "--data-dir", directory.path, "--auth", "client_secret_basic", "--secret", Self.secret,
            "--grant-types", "authorization_code,client_credentials", "--scopes", "read", "--redirect-uri", Self.callback,
        ]
        let (added, _) = try await TesseraProcess.run(["clients", "add", "--id", "cli-agent", "--require-resource"] + common)
        #expect(added == 0)
        let (plainAdded, _) = try await TesseraProcess.run(["clients", "add", "--id", "cli-plain"] + common)
        #expect(plainAdded == 0)
        let (_, shown) = try await TesseraProcess.run(["clients", "show", "cli-agent", "--data-dir", directory.path])
        let oauth = try #require(
            (try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])?["oauth"] as? [String: Any],
            "\(shown)"
        )
        #expect(oauth["require_resource"] as? Bool == true, "\(shown)")
        let (_, plainShown) = try await TesseraProcess.run(["clients", "show", "cli-plain", "--data-dir", directory.path])
        #expect(plainShown.contains("\"require_resource\" : false"), "\(plainShown)")
        let (_, listed) = try await TesseraProcess.run(["clients", "list", "--data-dir", directory.path])
        #expect(listed.split(separator: "\n").contains { $0.hasPrefix("cli-agent\t") && $0.contains("require_resource") }, "\(listed)")

        let server = try await TesseraProcess(["--data-dir", directory.path])
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let basic = "Basic " + Data("cli-agent:\(Self.secret)".utf8).base64EncodedString()
            // /authorize: back to the client with the error, its state and our iss (RFC 6749 §4.1.2.1, RFC 9207).
            let pairs = [
                ("response_type", "code"), ("client_id", "cli-agent"), ("redirect_uri", Self.callback), ("scope", "read"),
                ("state", "st-9"), ("code_challenge", Self.challenge), ("code_challenge_method", "S256"),
            ]
            let authorize = FormParameters(pairs)
            let refused = try await http.execute(
                HTTPClientRequest(url: server.baseURL + "/authorize?" + authorize.encoded),
                timeout: .seconds(10)
            )
            #expect(refused.status.code == 302)
            let location = try #require(refused.headers.first(name: "Location"))
            let back = try #require(URLComponents(string: location))
            let query = Dictionary((back.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
            #expect(location.hasPrefix(Self.callback + "?"), "\(location)")
            #expect(query["error"] == "invalid_target" && query["state"] == "st-9" && query["iss"] == server.baseURL, "\(location)")
            // The same request naming its resource reaches the sign-in (the held request), and the plain client is unchanged.
            let named = try await http.execute(
                HTTPClientRequest(
                    url: server.baseURL + "/authorize?" + authorize.encoded + "&resource=" + FormParameters.encode(Self.resource)
                ),
                timeout: .seconds(10)
            )
            #expect(named.status.code == 303)
            let plain = FormParameters(pairs.map { $0.0 == "client_id" ? ($0.0, "cli-plain") : $0 })
            let plainHeld = try await http.execute(
                HTTPClientRequest(url: server.baseURL + "/authorize?" + plain.encoded),
                timeout: .seconds(10)
            )
            #expect(plainHeld.status.code == 303)

            // PAR (RFC 9126) and /token: 400 invalid_target without resource; a token for the resource with it.
            let (parStatus, parError) = try await Web.post(
                server.baseURL + "/par",
                form: FormParameters(pairs.filter { $0.0 != "client_id" }).encoded,
                basic: basic
            )
            #expect(parStatus == 400 && parError["error"] as? String == "invalid_target", "\(parError)")
            let (tokenStatus, tokenError) = try await Web.post(
                server.baseURL + "/token",
                form: "grant_type=client_credentials&scope=read",
                basic: basic
            )
            #expect(tokenStatus == 400 && tokenError["error"] as? String == "invalid_target", "\(tokenError)")
            let (issuedStatus, issued) = try await Web.post(
                server.baseURL + "/token",
                form: "grant_type=client_credentials&scope=read&resource=" + FormParameters.encode(Self.resource),
                basic: basic
            )
            #expect(issuedStatus == 200, "\(issued)")
            let plainBasic = "Basic " + Data("cli-plain:\(Self.secret)".utf8).base64EncodedString()
            let (plainStatus, _) = try await Web.post(
                server.baseURL + "/token",
                form: "grant_type=client_credentials&scope=read",
                basic: plainBasic
            )
            #expect(plainStatus == 200)
        } catch {
            try await http.shutdown()
            try await server.stop()
            throw error
        }
        try await http.shutdown()
        try await server.stop()
    }
}
