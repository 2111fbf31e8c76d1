// tessera-load: a GNAP grant-request load generator for scripts/bench.
//
// wrk cannot sign requests, so this tool pre-signs N grant requests (RFC 9635 §2, httpsig per §7.3.1, a fresh
// nonce each, two labelled tokens per request) and drives them at a fixed concurrency over AsyncHTTPClient,
// then reports requests/s and latency percentiles.
//
//   tessera-load --url http://127.0.0.1:8080/gnap --requests 40000 --concurrency 64
//   tessera-load --signin-flood http://127.0.0.1:8080 --concurrency 16 --duration 10   (SignInFlood.swift)
import AsyncHTTPClient
import Foundation
import HTTPMessageSignatures
import NIOCore
import NIOHTTP1
import Synchronization
import TesseraClient
import TesseraProtocol

struct Options {
    var url = "http://127.0.0.1:8080/gnap"
    var requests = 40_000
    var warmup = 2_000
    var concurrency = 64
    var clients = 64
    var keyType = GNAPKeyPair.Kind.ed25519
    var json = false
    var keyFile: String?
    var printConfig = false
    var chunk = 10_000

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            func value() -> String {
                guard let next = iterator.next() else { fail("\(argument) needs a value") }
                return next
            }
            switch argument {
            case "--url": options.url = value()
            case "--requests": options.requests = Int(value()) ?? options.requests
            case "--warmup": options.warmup = Int(value()) ?? options.warmup
            case "--concurrency": options.concurrency = Int(value()) ?? options.concurrency
            case "--clients": options.clients = Int(value()) ?? options.clients
            case "--key-type": options.keyType = GNAPKeyPair.Kind(value()) ?? .ed25519
            case "--json": options.json = true
            case "--key-file": options.keyFile = value()
            case "--print-config": options.printConfig = true
            case "--chunk": options.chunk = max(1, Int(value()) ?? options.chunk)
            case "-h", "--help":
                print(
                    """
                    usage: tessera-load [--url URL] [--requests N] [--warmup N] [--concurrency C] [--clients K]
                                        [--key-type ed25519|p256] [--key-file FILE] [--print-config] [--json]
                    --key-file FILE  client keys, one private JWK per line (created with K keys if missing)
                    --print-config   print a tessera config registering the keys as GNAP instances allowed
                                     'bench-api' (so grants are issued without a person), then exit
                    tessera-load --signin-flood BASE_URL [--concurrency C] [--duration S]
                                     post random usernames to BASE_URL/signin from C connections for S seconds
                    """
                )
                exit(0)
            default: fail("unknown argument \(argument)")
            }
        }
        guard options.concurrency > 0, options.requests > 0, options.clients > 0 else { fail("counts must be positive") }
        return options
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("tessera-load: \(message)\n".utf8))
    exit(2)
}

/// One request body per client key: two labelled tokens, key-bound (RFC 9635 §2.1.2).
func body(for key: GNAPKeyPair) throws -> [UInt8] {
    let request = GNAPGrantRequest(
        accessToken: .multiple([
            GNAPTokenRequest(access: [.object(GNAPAccessObject(type: "bench-api", actions: ["read"]))], label: "read"),
            GNAPTokenRequest(access: [.object(GNAPAccessObject(type: "bench-api", actions: ["write"]))], label: "write"),
        ]),
        client: .value(GNAPClientInstance(key: key.gnapKey, display: GNAPDisplay(name: "tessera-load")))
    )
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    return Array(try encoder.encode(request))
}

final class Cursor: Sendable {
    let next = Mutex(0)
    func take() -> Int {
        next.withLock { value in
            defer { value += 1 }; return value
        }
    }
}

// `--signin-flood BASE_URL`: the sign-in flood of scripts/bench signin-flood (SignInFlood.swift).
if let flood = SignInFlood.parse(CommandLine.arguments) {
    try await SignInFlood.run(flood)
    exit(0)
}
let options = Options.parse(CommandLine.arguments)
let total = options.requests + options.warmup
/// The client keys: from `--key-file` (one private JWK per line) or generated (and saved there).
func loadKeys() throws -> [GNAPKeyPair] {
    if let path = options.keyFile, FileManager.default.fileExists(atPath: path) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.isEmpty }
        return try lines.map { try GNAPKeyPair(privateJWK: String($0)) }
    }
    let generated = (0..<options.clients).map { _ in GNAPKeyPair.generate(options.keyType) }
    if let path = options.keyFile {
        let text = generated.map { $0.privateJWKJSON() }.joined(separator: "\n") + "\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            fail("cannot write \(path)")
        }
    }
    return generated
}

let keys = try loadKeys()
if options.printConfig {
    var config = "gnap:\n  instances:\n"
    for (index, key) in keys.enumerated() {
        let jwk = String(decoding: try JSONEncoder().encode(key.publicJWK), as: UTF8.self)
        config += "    - id: bench-\(index)\n"
        config += "      key: {\"proof\": \"httpsig\", \"jwk\": \(jwk)}\n"
        config += "      allowed_access: [bench-api]\n"
    }
    print(config, terminator: "")
    exit(0)
}
let bodies = try keys.map(body(for:))
let signers = keys.map { $0.signer(now: { Date() }) }

/// Signs `count` requests just before they are sent (a signature's `created` must be within the AS's window,
/// ±60 s, so a long run signs in chunks; signing time is not measured).
func prepare(_ count: Int, offset: Int) throws -> [HTTPClientRequest] {
    var prepared: [HTTPClientRequest] = []
    prepared.reserveCapacity(count)
    for index in offset..<(offset + count) {
        let client = index % keys.count
        var signed = try HTTPSignatureRequest(
            method: "POST",
            targetURI: options.url,
            headerFields: [HTTPSignatureField(name: "Content-Type", value: "application/json")],
            body: bodies[client]
        )
        try signers[client].sign(&signed)
        var request = HTTPClientRequest(url: options.url)
        request.method = .POST
        for field in signed.headerFields { request.headers.add(name: field.name, value: field.value) }
        request.body = .bytes(ByteBuffer(bytes: bodies[client]))
        prepared.append(request)
    }
    return prepared
}
FileHandle.standardError.write(
    Data("tessera-load: \(total) requests with \(keys.count) client keys, pre-signed in chunks of \(options.chunk)\n".utf8)
)

var configuration = HTTPClient.Configuration()
configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: options.concurrency)
let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)

struct WorkerResult: Sendable {
    var latencies: [Double] = []
    var statuses: [Int: Int] = [:]
    var failures = 0
    var tokens = 0
    var sample: String?
}

/// How many labelled tokens (`read`, `write`) a grant response carries.
func issuedTokens(_ body: [UInt8]) -> Int {
    guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
        let tokens = object["access_token"] as? [[String: Any]]
    else { return 0 }
    return tokens.filter { ($0["label"] as? String).map { ["read", "write"].contains($0) } ?? false && $0["value"] is String }.count
}

func runPhase(_ requests: [HTTPClientRequest]) async -> (results: [WorkerResult], seconds: Double) {
    let range = 0..<requests.count
    let cursor = Cursor()
    let start = ContinuousClock.now
    let results = await withTaskGroup(of: WorkerResult.self) { group in
        for _ in 0..<options.concurrency {
            group.addTask {
                var result = WorkerResult()
                result.latencies.reserveCapacity(range.count / options.concurrency + 1)
                while true {
                    let index = range.lowerBound + cursor.take()
                    guard index < range.upperBound else { break }
                    let began = ContinuousClock.now
                    do {
                        let response = try await httpClient.execute(requests[index], timeout: .seconds(30))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        let elapsed = ContinuousClock.now - began
                        result.latencies.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                        result.statuses[Int(response.status.code), default: 0] += 1
                        let text = body.getString(at: body.readerIndex, length: body.readableBytes) ?? ""
                        if response.status == .ok {
                            result.tokens += issuedTokens(Array(text.utf8))
                            if result.sample == nil { result.sample = text }
                        } else if result.sample == nil {
                            result.sample = "HTTP \(response.status.code): \(text)"
                        }
                    } catch {
                        result.failures += 1
                    }
                }
                return result
            }
        }
        var all: [WorkerResult] = []
        for await result in group { all.append(result) }
        return all
    }
    let elapsed = ContinuousClock.now - start
    return (results, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

if options.warmup > 0 { _ = await runPhase(try prepare(options.warmup, offset: 0)) }
var results: [WorkerResult] = []
var seconds = 0.0
var sent = 0
while sent < options.requests {
    let count = min(options.chunk, options.requests - sent)
    let chunk = try prepare(count, offset: options.warmup + sent)
    let (chunkResults, chunkSeconds) = await runPhase(chunk)
    results += chunkResults
    seconds += chunkSeconds
    sent += count
}
try await httpClient.shutdown().get()

let latencies = results.flatMap(\.latencies).sorted()
func percentile(_ p: Double) -> Double {
    guard !latencies.isEmpty else { return 0 }
    return latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)]
}
var statuses: [Int: Int] = [:]
for result in results { for (status, count) in result.statuses { statuses[status, default: 0] += count } }
let failures = results.reduce(0) { $0 + $1.failures }
let okCount = statuses[200] ?? 0
let tokens = results.reduce(0) { $0 + $1.tokens }
let rate = Double(okCount) / seconds
let summary: [String: Any] = [
    "requests": options.requests, "seconds": seconds, "grants_per_second": rate, "ok": okCount, "tokens": tokens,
    "transport_failures": failures, "statuses": Dictionary(uniqueKeysWithValues: statuses.map { ("\($0.key)", $0.value) }),
    "p50_ms": percentile(0.50), "p90_ms": percentile(0.90), "p99_ms": percentile(0.99), "max_ms": latencies.last ?? 0,
    "concurrency": options.concurrency,
]
if options.json {
    let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} else {
    print(
        String(format: "grants: %d ok of %d in %.2f s = %.0f grants/s (%d tokens issued)", okCount, options.requests, seconds, rate, tokens)
    )
    print(
        String(
            format: "latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
            percentile(0.5),
            percentile(0.9),
            percentile(0.99),
            latencies.last ?? 0
        )
    )
    print(
        "statuses: \(statuses.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")), transport failures: \(failures)"
    )
}
if okCount == 0 || tokens != 2 * okCount || statuses.keys.contains(where: { $0 != 200 }) {
    if let sample = results.compactMap(\.sample).first(where: { $0.hasPrefix("HTTP") }) ?? results.compactMap(\.sample).first {
        FileHandle.standardError.write(Data("sample response: \(sample.prefix(600))\n".utf8))
    }
}
