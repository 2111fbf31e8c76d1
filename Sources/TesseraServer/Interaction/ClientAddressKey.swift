import NIOCore
import TesseraProtocol

/// The key a per-address throttle counts a connection under: the TCP peer's IPv4 address, or the /64
/// prefix of an IPv6 address (one subscriber usually holds a whole /64, RFC 6177 §2, so counting
/// single v6 addresses would give an attacker 2⁶⁴ budgets). IPv4-mapped IPv6 peers count as IPv4.
/// Behind a reverse proxy every request shares the proxy's address: size `sign_in.attempts_per_address`
/// for that (docs/ROBUSTNESS.md, "Sign-in").
enum ClientAddressKey {
    static func of(_ address: SocketAddress?) -> String {
        guard let text = address?.ipAddress, let ip = IPAddress(text) else { return "unknown" }
        switch ip {
        case .v4:
            return text
        case .v6(let bytes):
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return bytes[12..<16].map(String.init).joined(separator: ".")
            }
            return "v6:" + bytes[0..<8].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
        }
    }
}
