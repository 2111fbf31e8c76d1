import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// Carries out the `push` finish (RFC 9635 §4.2.2): POSTs `{hash, interact_ref}` to the client's URI.
///
/// The URI is the client's choice, so the AS guards against SSRF (RFC 9635 §11.34): the host is
/// resolved and every address must be public — not loopback, private, link-local, CGNAT,
/// multicast, documentation or otherwise special-use — unless the host or address is on the
/// configured allow-list. For `http` the request goes to the checked address itself (with the
/// original `Host`), so a second DNS answer cannot redirect it. No redirects are followed; the
/// whole exchange has a deadline.
struct FinishPusher: Sendable {
    let allowedHosts: Set<String>
    let timeout: Duration

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(5))
        )
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    func push(uri: String, body: [UInt8]) async throws {
        guard var components = URLComponents(string: uri), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else { throw Refused(description: "the push URI is not an absolute http(s) URI") }
        let bareHost = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        let addresses = try await Self.resolve(bareHost)
        guard !addresses.isEmpty else { throw Refused(description: "the push host does not resolve") }
        let hostAllowed = allowedHosts.contains(bareHost)
        for address in addresses where !hostAllowed && !allowedHosts.contains(address.text) && !address.isPublic {
            throw Refused(description: "the push host resolves to a non-public address (\(address.text))")
        }
        var hostHeader: String?
        if scheme == "http", let first = addresses.first {
            hostHeader = components.port.map { "\(host):\($0)" } ?? host
            components.host = first.isV6 ? "[\(first.text)]" : first.text
        }
        guard let target = components.string else { throw Refused(description: "the push URI cannot be rebuilt") }
        var request = HTTPClientRequest(url: target)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let hostHeader { request.headers.replaceOrAdd(name: "Host", value: hostHeader) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = TimeAmount.milliseconds(
            Int64(timeout.components.seconds) * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        )
        let response = try await Self.client.execute(request, timeout: deadline)
        _ = try? await response.body.collect(upTo: 16 * 1024)
        guard (200..<300).contains(response.status.code) else {
            throw Refused(description: "the client's push endpoint answered HTTP \(response.status.code)")
        }
    }

    struct Address: Sendable {
        let bytes: [UInt8]
        var isV6: Bool { bytes.count == 16 }
        var text: String {
            if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
            _ = inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
            return String(cString: buffer)
        }

        /// Whether the address is globally routable unicast (IANA special-purpose registries).
        var isPublic: Bool {
            if bytes.count == 4 { return Self.isPublicV4(bytes) }
            let b = bytes
            if b[0..<15].allSatisfy({ $0 == 0 }) { return false }  // :: and ::1
            if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF { return Self.isPublicV4(Array(b[12..<16])) }  // v4-mapped
            if b[0] == 0x00, b[1] == 0x64, b[2] == 0xFF, b[3] == 0x9B { return Self.isPublicV4(Array(b[12..<16])) }  // NAT64
            if b[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local
            if b[0] == 0xFE, b[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
            if b[0] == 0xFE, b[1] & 0xC0 == 0xC0 { return false }  // fec0::/10 site-local
            if b[0] == 0xFF { return false }  // multicast
            if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0D, b[3] == 0xB8 { return false }  // documentation
            if b[0] == 0x20, b[1] == 0x01, b[2] < 0x02 { return false }  // 2001::/23 IETF protocol assignments
            if b[0] == 0x20, b[1] == 0x02 { return false }  // 6to4
            if b[0] == 0x01, b[1..<8].allSatisfy({ $0 == 0 }) { return false }  // 100::/64 discard
            return b[0] & 0xE0 == 0x20  // 2000::/3 global unicast only
        }

        static func isPublicV4(_ a: [UInt8]) -> Bool {
            switch (a[0], a[1], a[2]) {
            case (0, _, _), (10, _, _), (127, _, _): return false
            case (100, 64...127, _): return false
            case (169, 254, _): return false
            case (172, 16...31, _): return false
            case (192, 0, 0), (192, 0, 2), (192, 88, 99), (192, 168, _): return false
            case (198, 18...19, _), (198, 51, 100), (203, 0, 113): return false
            case (224...255, _, _): return false
            default: return true
            }
        }
    }

    /// getaddrinfo on a background thread (it blocks).
    static func resolve(_ host: String) async throws -> [Address] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_family = AF_UNSPEC
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var result: UnsafeMutablePointer<addrinfo>?
                let status = getaddrinfo(host, nil, &hints, &result)
                guard status == 0, let first = result else {
                    continuation.resume(throwing: Refused(description: "the push host '\(host.prefix(64))' does not resolve"))
                    return
                }
                defer { freeaddrinfo(result) }
                var addresses: [Address] = []
                var cursor: UnsafeMutablePointer<addrinfo>? = first
                while let entry = cursor {
                    if entry.pointee.ai_family == AF_INET, let raw = entry.pointee.ai_addr {
                        raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                            var address = pointer.pointee.sin_addr
                            addresses.append(Address(bytes: withUnsafeBytes(of: &address) { Array($0) }))
                        }
                    } else if entry.pointee.ai_family == AF_INET6, let raw = entry.pointee.ai_addr {
                        raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                            var address = pointer.pointee.sin6_addr
                            addresses.append(Address(bytes: withUnsafeBytes(of: &address) { Array($0) }))
                        }
                    }
                    cursor = entry.pointee.ai_next
                }
                continuation.resume(returning: addresses)
            }
        }
    }
}
