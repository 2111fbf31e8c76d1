// A resource server protected by Tessera in a few lines (docs/resource-server-sdk.md), plus a
// `proof` mode that prints a DPoP proof made by the SDK, for the Python interop suite.
//
//   tessera-resource-example serve --issuer http://127.0.0.1:8080 --port 9090
//   tessera-resource-example proof --method GET --url http://127.0.0.1:9090/api/hello [--access-token T]
import Foundation
import Hummingbird
import TesseraProtocol
import TesseraResource
import TesseraResourceHummingbird

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--" + name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

struct Hello: ResponseEncodable {
    var subject: String
    var clientID: String?
    var scope: String
    var tokenType: String
    var jkt: String?
    var actors: [String]
}

switch CommandLine.arguments.dropFirst().first {
case "serve":
    guard let issuer = option("issuer"), let port = option("port").flatMap(Int.init) else {
        print("usage: tessera-resource-example serve --issuer URL --port N")
        exit(64)
    }
    // 1. Describe the resource and its authorization server.
    let rs = OAuthResourceServer(configuration: .init(issuer: issuer, resource: "http://127.0.0.1:\(port)"))
    // 2. Serve the RFC 9728 metadata and guard the API with the middleware.
    let router = Router(context: OAuthResourceContext.self)
    router.addProtectedResourceMetadata(rs)
    router.group("api").add(middleware: OAuthResourceMiddleware(rs, requiredScopes: Scope(["read"])))
        .get("hello") { _, context -> Hello in
            // 3. The handler sees who is calling, with which scopes, key and delegation chain.
            // The middleware only calls the handler with a verified token.
            guard let token = context.accessToken else { throw HTTPError(.unauthorized) }
            return Hello(
                subject: token.subject,
                clientID: token.clientID,
                scope: token.scopes.description,
                tokenType: token.kind.rawValue,
                jkt: token.confirmation?.jkt,
                actors: token.actorChain.map(\.sub)
            )
        }
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: port)),
        onServerRunning: { _ in print("resource server listening on http://127.0.0.1:\(port)") }
    )
    try await app.runService()
case "proof":
    guard let method = option("method"), let url = option("url") else {
        print("usage: tessera-resource-example proof --method M --url URL [--access-token T] [--nonce N]")
        exit(64)
    }
    let signer = DPoPProofSigner()
    let proof = signer.proof(method: method, uri: url, accessToken: option("access-token"), nonce: option("nonce"))
    let output = ["proof": proof, "jkt": signer.thumbprint]
    print(String(decoding: try JSONEncoder().encode(output), as: UTF8.self))
default:
    print("usage: tessera-resource-example serve|proof …")
    exit(64)
}
