import Foundation
import Hummingbird
import TesseraEngine

/// The session cookie: `HttpOnly; SameSite=Lax; Path=/`, and with an https issuer also `Secure` and
/// the `__Host-` prefix (RFC 6265bis §4.1.3.2), so no subdomain or plain-http page can set it.
struct SessionCookie: Sendable {
    let secure: Bool

    init(issuer: String) {
        secure = issuer.lowercased().hasPrefix("https://")
    }

    var name: String { secure ? "__Host-tessera_session" : "tessera_session" }

    /// The cookie value in a request, if present exactly once.
    func value(in request: Request) -> String? {
        var found: [String] = []
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { found.append(String(parts[1])) }
            }
        }
        return found.count == 1 ? found[0] : nil
    }

    func set(_ value: String, maxAge: TimeInterval) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(Int(maxAge)); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    func clear() -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }
}
