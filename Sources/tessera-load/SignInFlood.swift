import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `tessera-load --signin-flood BASE_URL [--concurrency C] [--duration S]`: C connections, each opening the
/// sign-in form once (cookie + CSRF token) and then posting random usernames and passwords to `/signin` as
/// fast as the server answers, for S seconds — the flood of issue 23, used by `scripts/bench signin-flood`
/// to measure what it costs the token endpoint. Prints the statuses it got.
enum SignInFlood {
    struct Options {
        var base = "http://127.0.0.1:8080"
        var concurrency = 16
        var duration = 10.0
    }

    static func parse(_ arguments: [String]) -> Options? {
        guard let flag = arguments.firstIndex(of: "--signin-flood") else { return nil }
        var options = Options()
        var iterator = arguments[(flag + 1)...].makeIterator()
        guard let base = iterator.next() else { fail("--signin-flood needs the server's base URL") }
        options.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        while let argument = iterator.next() {
            guard let value = iterator.next() else { fail("\(argument) needs a value") }
            switch argument {
            case "--concurrency": options.concurrency = max(1, Int(value) ?? options.concurrency)
            case "--duration": options.duration = max(1, Double(value) ?? options.duration)
            default: fail("unknown argument \(argument) for --signin-flood")
            }
        }
        return options
    }

    struct Session {
        var cookie = ""
        var csrf = ""
    }

    static func run(_ options: Options) async throws {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: options.concurrency)
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let deadline = ContinuousClock.now + .milliseconds(Int64(options.duration * 1000))
        let statuses = await withTaskGroup(of: [Int: Int].self) { group in
            for _ in 0..<options.concurrency {
                group.addTask {
                    var counts: [Int: Int] = [:]
                    var session: Session?
                    while ContinuousClock.now < deadline {
                        do {
                            if session == nil { session = try await openForm(client, options.base) }
                            guard let current = session else { continue }
                            let status = try await post(client, options.base, current)
                            counts[status, default: 0] += 1
                            // 403: the form's session was dropped (the anonymous-session cap); open a new one.
                            if status == 403 { session = nil }
                        } catch {
                            counts[0, default: 0] += 1
                            session = nil
                        }
                    }
                    return counts
                }
            }
            var all: [Int: Int] = [:]
            for await counts in group { for (status, count) in counts { all[status, default: 0] += count } }
            return all
        }
        try await client.shutdown()
        let total = statuses.values.reduce(0, +)
        print(
            String(
                format: "sign-in flood: %d posts in %.0f s = %.0f/s over %d connections; ",
                total,
                options.duration,
                Double(total) / options.duration,
                options.concurrency
            )
                + "statuses: "
                + statuses.sorted { $0.key < $1.key }.map { "\($0.key == 0 ? "failed" : String($0.key))=\($0.value)" }.joined(
                    separator: " "
                )
        )
    }

    static func openForm(_ client: HTTPClient, _ base: String) async throws -> Session {
        let response = try await client.execute(HTTPClientRequest(url: base + "/signin"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        let text = body.getString(at: body.readerIndex, length: body.readableBytes) ?? ""
        var session = Session()
        if let set = response.headers.first(name: "set-cookie"), let pair = set.split(separator: ";").first {
            session.cookie = String(pair)
        }
        if let range = text.range(of: "name=\"csrf\" value=\"") { session.csrf = String(text[range.upperBound...].prefix { $0 != "\"" }) }
        return session
    }

    static func post(_ client: HTTPClient, _ base: String, _ session: Session) async throws -> Int {
        var request = HTTPClientRequest(url: base + "/signin")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Cookie", value: session.cookie)
        let name = "u" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let password = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        request.body = .bytes(ByteBuffer(string: "csrf=\(session.csrf)&next=%2Fdevice&username=\(name)&password=\(password)"))
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}
