import BankExample
import Foundation
import Hummingbird

// The example bank API: `bank-example --issuer http://127.0.0.1:8080 [--port 9090] [--resource URI]`.
// Tokens from that Tessera issuer are verified with its JWK Set; each call is checked against the
// Cedar policies the token grants (see Examples/BankAPI/README.md).
var arguments = CommandLine.arguments.dropFirst()
var issuer: String?
var port = 9090
var resource: String?
while let flag = arguments.popFirst() {
    switch flag {
    case "--issuer": issuer = arguments.popFirst()
    case "--port": port = arguments.popFirst().flatMap(Int.init) ?? port
    case "--resource": resource = arguments.popFirst()
    default:
        FileHandle.standardError.write(
            Data("unknown argument \(flag)\nusage: bank-example --issuer URL [--port N] [--resource URI]\n".utf8)
        )
        exit(2)
    }
}
guard let issuer else {
    FileHandle.standardError.write(Data("usage: bank-example --issuer URL [--port N] [--resource URI]\n".utf8))
    exit(2)
}
// Tokens must be issued for this resource (`resource=` at the token endpoint, RFC 8707).
let api = try BankAPI(configuration: .init(issuer: issuer, resource: resource ?? "http://127.0.0.1:\(port)"))
let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
