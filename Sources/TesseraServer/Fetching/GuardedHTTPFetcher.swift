import AsyncHTTPClient
public import Foundation
public import NIOCore
import NIOHTTP1
public import NIOSSL
public import TesseraProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Fetches a URL that a client chose without letting the client aim Tessera at the inside of its
/// network (SSRF; CIMD §6 and RFC 9700 §4.16): it resolves the host itself, refuses the fetch when
/// any resolved address is special-use (``OutboundAddressPolicy``), then connects to the address it
/// checked — AsyncHTTPClient's DNS override, so there is no second lookup to race — with TLS still
/// verified against the host name. No redirects, `https` only (plain `http` only to an operator's
/// allow-listed networks), a total timeout and a size cap.
public struct GuardedHTTPFetcher: Sendable {
    /// What came back.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: Data

        /// The first value of a header, case-insensitively.
        public func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
    }

    /// Why a fetch did not happen or did not finish; ``description`` is safe to show to the client.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
        /// Whether the URL itself is refused (its scheme, credentials, a resolved address outside the policy, a
        /// redirect) rather than the fetch failing now (unresolvable, unreachable, too slow, too large).
        public let isPolicy: Bool
        init(_ description: String, policy: Bool = false) {
            self.description = description
            self.isPolicy = policy
        }
    }

    public let policy: OutboundAddressPolicy
    public var timeout: TimeAmount
    /// The TLS client configuration (`outbound_tls:` adds CA certificates); the system's default when `nil`.
    public var tls: TLSConfiguration?
    /// Resolves a host name to addresses; `getaddrinfo` unless a test replaces it.
    let resolve: @Sendable (String) async throws -> [IPAddress]

    public init(policy: OutboundAddressPolicy, timeout: TimeAmount = .seconds(5), tls: TLSConfiguration? = nil) {
        self.init(policy: policy, timeout: timeout, resolve: Self.systemResolve)
        self.tls = tls
    }

    /// With a replacement resolver (tests: a host that resolves to a mix of public and private addresses).
    public init(policy: OutboundAddressPolicy, timeout: TimeAmount, resolve: @escaping @Sendable (String) async throws -> [IPAddress]) {
        self.policy = policy
        self.timeout = timeout
        self.resolve = resolve
    }

    /// GETs `url`, reading at most `maximumBytes` of body.
    /// - Throws: ``Refusal`` for a forbidden URL or address, a redirect, a timeout, an oversized body
    ///   or a connection failure.
    public func get(_ url: String, accept: String, maximumBytes: Int) async throws(Refusal) -> Response {
        try await send(url, accept: accept, maximumBytes: maximumBytes, post: nil)
    }

    /// POSTs `body` as `contentType` to `url` (the GNAP `push` finish, RFC 9635 §4.2.2; a token request to a
    /// peer's learned token endpoint), with the same checks as ``get(_:accept:maximumBytes:)``.
    /// - Parameters:
    ///   - url: where to post.
    ///   - contentType: the body's media type.
    ///   - body: the body.
    ///   - headers: more header fields (`Authorization`).
    ///   - accept: the `Accept` header.
    ///   - maximumBytes: the most of the answer's body that is read.
    /// - Returns: the answer.
    /// - Throws: ``Refusal`` as ``get(_:accept:maximumBytes:)``.
    public func post(
        _ url: String,
        contentType: String,
        body: [UInt8],
        headers: [(String, String)] = [],
        accept: String,
        maximumBytes: Int
    ) async throws(Refusal) -> Response {
        try await send(url, accept: accept, maximumBytes: maximumBytes, post: (contentType, body), headers: headers)
    }

    private func send(
        _ url: String,
        accept: String,
        maximumBytes: Int,
        post: (String, [UInt8])?,
        headers: [(String, String)] = []
    ) async throws(Refusal) -> Response {
        let target = try await checkedTarget(url)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeout, read: timeout)
        )
        configuration.httpVersion = .http1Only
        configuration.tlsConfiguration = tls
        // One attempt: a refused connection or a certificate that is not trusted fails now, with
        // its reason, instead of being retried until the timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.dnsOverride = target.isLiteral ? [:] : [target.host: target.address.description]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await perform(
                url: url,
                accept: accept,
                maximumBytes: maximumBytes,
                client: client,
                post: post,
                headers: headers
            )
            try? await client.shutdown()
            return response
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func perform(
        url: String,
        accept: String,
        maximumBytes: Int,
        client: HTTPClient,
        post: (String, [UInt8])?,
        headers: [(String, String)]
    ) async throws(Refusal) -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        if let (contentType, body) = post {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        request.headers.add(name: "Accept", value: accept)
        request.headers.add(name: "User-Agent", value: "Tessera")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            if (300..<400).contains(Int(response.status.code)) {
                throw Refusal("the URL answered with a redirect (HTTP \(response.status.code)), which is not followed", policy: true)
            }
            let body = try await response.body.collect(upTo: maximumBytes)
            return Response(
                status: Int(response.status.code),
                headers: response.headers.map { ($0.name, $0.value) },
                body: Data(body.readableBytesView)
            )
        } catch let refusal as Refusal {
            throw refusal
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw Refusal("the response is larger than \(maximumBytes) bytes")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw Refusal("the URL did not answer within \(timeout.nanoseconds / 1_000_000_000) s")
        } catch is NIOSSLError, is NIOSSLExtraError {
            let host = URLComponents(string: url)?.host ?? url
            throw Refusal(
                "the TLS certificate of '\(host.prefix(100))' is not trusted (not issued by a CA in the system roots or "
                    + "outbound_tls.ca_bundle, expired, or not for this host)"
            )
        } catch {
            throw Refusal("the URL could not be fetched")
        }
    }

    struct Target {
        var host: String
        var address: IPAddress
        var isLiteral: Bool
    }

    /// URL grammar and address checks; the address to connect to.
    func checkedTarget(_ url: String) async throws(Refusal) -> Target {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw Refusal("the URL is not an absolute https URL", policy: true)
        }
        guard scheme == "https" || scheme == "http" else { throw Refusal("only https URLs are fetched", policy: true) }
        guard var host = components.host, !host.isEmpty else { throw Refusal("the URL is not an absolute https URL", policy: true) }
        guard components.user == nil, components.password == nil else { throw Refusal("the URL must not carry credentials", policy: true) }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let addresses: [IPAddress]
        let isLiteral: Bool
        if let literal = IPAddress(host) {
            addresses = [literal]
            isLiteral = true
        } else {
            do { addresses = try await resolve(host) } catch { throw Refusal("the host name '\(host.prefix(100))' could not be resolved") }
            isLiteral = false
        }
        guard let first = addresses.first else { throw Refusal("the host name '\(host.prefix(100))' has no addresses") }
        for address in addresses where !policy.permits(address) {
            throw Refusal(
                "'\(host.prefix(100))' resolves to \(address), a special-use address that is never fetched unless the operator lists its network in outbound_network.allowed_networks",
                policy: true
            )
        }
        if scheme == "http", !addresses.allSatisfy(policy.isExplicitlyAllowed) {
            throw Refusal("only https URLs are fetched", policy: true)
        }
        return Target(host: host, address: first, isLiteral: isLiteral)
    }

    /// `getaddrinfo` on a thread that may block, every A and AAAA record.
    @Sendable static func systemResolve(_ host: String) async throws -> [IPAddress] {
        try await Task.detached {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &list)
            guard status == 0, let first = list else { throw Refusal("resolution failed") }
            defer { freeaddrinfo(first) }
            var addresses: [IPAddress] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                if let socket = entry.pointee.ai_addr {
                    switch Int32(entry.pointee.ai_family) {
                    case AF_INET:
                        let address = socket.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                        addresses.append(.v4(withUnsafeBytes(of: address) { Array($0) }))
                    case AF_INET6:
                        let address = socket.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                        addresses.append(.v6(withUnsafeBytes(of: address) { Array($0) }))
                    default:
                        break
                    }
                }
                cursor = entry.pointee.ai_next
            }
            var seen = Set<IPAddress>()
            return addresses.filter { seen.insert($0).inserted }
        }.value
    }
}
