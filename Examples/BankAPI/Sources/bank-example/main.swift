import BankExample
import Foundation
import Hummingbird

// The example bank API: `bank-example --issuer http://127.0.0.1:8080 [--port 9090] [--audience URI]`.
// Tokens from that Tessera issuer are verified with its JWK Set; each call is checked against the
// Cedar policies the token grants (see Examples/BankAPI/README.md).
var arguments = CommandLine.arguments.dropFirst()
var issuer: String?
var port = 9090
var audience: String?
while let flag = arguments.popFirst() {
    switch flag {
    case "--issuer": issuer = arguments.popFirst()
    case "--port": port = arguments.popFirst().flatMap(Int.init) ?? port
    case "--audience": audience = arguments.popFirst()
    default:
        FileHandle.standardError.write(Data("unknown argument \(flag)\nusage: bank-example --issuer URL [--port N] [--audience URI]\n".utf8))
        exit(2)
    }
}
guard let issuer else {
    FileHandle.standardError.write(Data("usage: bank-example --issuer URL [--port N] [--audience URI]\n".utf8))
    exit(2)
}
let keys = try await BearerTokenVerifier.fetchKeys(issuer: issuer)
let api = try await BankAPI(configuration: .init(issuer: issuer, audience: audience), keys: keys)
let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
