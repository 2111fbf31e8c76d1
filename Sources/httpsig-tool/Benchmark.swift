import Crypto
import Foundation
import HTTPMessageSignatures

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `httpsig-tool bench`: the whole sign/verify of a typical GNAP grant request against the raw signature primitive
/// over the same signature base, in one process and one run.
enum Benchmark {
    /// A grant request with a ~1 KB JSON body; 5 covered components including `content-digest`.
    static func grantRequest() throws -> HTTPSignatureRequest {
        var access: [String] = []
        for index in 0..<14 {
            access.append(
                #"{"type":"photo-api","actions":["read","write"],"locations":["https://server.example.net/\#(index)"],"datatypes":["metadata"]}"#
            )
        }
        var body =
            #"{"access_token":{"access":[\#(access.joined(separator: ","))]},"client":"client-541-ab","interact":{"start":["redirect"]}}"#
        while body.utf8.count < 1024 { body.append(" ") }
        let bytes = Array(body.utf8.prefix(1024))
        // Keep the body valid JSON-ish; its exact content does not matter for the timing.
        return try HTTPSignatureRequest(
            method: "POST",
            targetURI: "https://server.example.com/gnap",
            headerFields: [
                .init(name: "Host", value: "server.example.com"),
                .init(name: "Content-Type", value: "application/json"),
                .init(name: "Content-Length", value: String(bytes.count)),
                .init(name: "Accept", value: "application/json"),
                .init(name: "User-Agent", value: "tessera-client/0.1"),
            ],
            body: bytes
        )
    }

    static let components: [HTTPSignatureComponent] = [
        .method, .targetURI, .field("content-type"), .field("content-length"), .field("content-digest"),
    ]

    struct Row {
        var name: String
        var ours: Double
        var raw: Double
        var ratio: Double { ours / raw }
    }

    static func run(iterations: Int) async throws {
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        let clock: @Sendable () -> Date = { created }
        var rows: [Row] = []

        let edKey = Curve25519.Signing.PrivateKey()
        let p256Key = P256.Signing.PrivateKey()
        let cases: [(String, HTTPSigningKey, (([UInt8]) throws -> [UInt8]), (([UInt8], [UInt8]) throws -> Bool))] = [
            (
                "ed25519", HTTPSigningKey(ed25519: edKey, keyID: "bench"),
                { base in Array(try edKey.signature(for: base)) },
                { signature, base in edKey.publicKey.isValidSignature(signature, for: base) }
            ),
            (
                "ecdsa-p256-sha256", HTTPSigningKey(p256: p256Key, keyID: "bench"),
                { base in Array(try p256Key.signature(for: base).rawRepresentation) },
                { signature, base in
                    p256Key.publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: base)
                }
            ),
        ]

        let onlyAlgorithm = ProcessInfo.processInfo.environment["HTTPSIG_BENCH_ALG"]
        for (name, key, rawSign, rawVerify) in cases where onlyAlgorithm == nil || onlyAlgorithm == name {
            let signer = HTTPMessageSigner(key: key, configuration: .gnap, now: clock)
            let verifier = HTTPMessageVerifier(
                policy: .gnap,
                keys: HTTPSignatureKeySet([key.verificationKey]),
                replayCache: AcceptAllNonces(),
                now: clock
            )
            let unsigned = try grantRequest()
            var signed = unsigned
            let parameters = try signer.sign(&signed, components: components)
            let base = Array(try HTTPMessageSigner.signatureBase(for: signed, components: components, parameters: parameters).utf8)
            let rawSignature = try rawSign(base)
            guard case .valid = try await verifier.verify(signed), try rawVerify(rawSignature, base) else {
                print("\(name): self-check failed")
                return
            }
            // One operation each, as every mode below times or loops on them.
            let signOnce = {
                var request = unsigned
                _ = try signer.sign(&request, components: components)
                blackHole(request.headerFields.count)
            }
            let verifyOnce = { if case .valid = try await verifier.verify(signed) { blackHole(1) } }
            let baseOnce = {
                blackHole(try HTTPMessageSigner.signatureBase(for: signed, components: components, parameters: parameters).utf8.count)
            }
            let rawSignOnce = { blackHole(try rawSign(base).count) }
            let rawVerifyOnce = { blackHole(try rawVerify(rawSignature, base) ? 1 : 0) }

            // HTTPSIG_BENCH_PARTS=1 prints the cost of the pieces of a sign, to see where overhead goes.
            if ProcessInfo.processInfo.environment["HTTPSIG_BENCH_PARTS"] != nil {
                let body = unsigned.body ?? []
                let nonce = HTTPMessageSigner.Configuration.gnap.nonce
                var withDigest = unsigned
                withDigest.appendHeader(name: "Content-Digest", value: ContentDigest.fieldValue(for: body))
                let parts: [(String, () throws -> Void)] = [
                    ("content-digest", { blackHole(ContentDigest.fieldValue(for: body).utf8.count) }),
                    ("nonce", { blackHole(nonce?().utf8.count ?? 0) }),
                    ("signature base (as String)", baseOnce),
                    (
                        "sign, exact parameters",
                        {
                            var request = withDigest
                            try signer.sign(&request, components: components, parameters: parameters)
                            blackHole(request.headerFields.count)
                        }
                    ),
                    ("raw primitive", rawSignOnce),
                ]
                for (label, body) in parts {
                    var best = Double.infinity
                    for _ in 0..<20 { best = min(best, try measure(max(iterations / 20, 1), body)) }
                    print("\(name) \(label): \(format(best)) µs")
                }
                continue
            }

            // HTTPSIG_BENCH_PROFILE=sign|verify|raw-sign|raw-verify loops on one operation only, for `perf record`
            // or for counting instructions with `valgrind --tool=callgrind` (stable on a shared machine).
            if let profile = ProcessInfo.processInfo.environment["HTTPSIG_BENCH_PROFILE"] {
                for _ in 0..<iterations {
                    switch profile {
                    case "sign": try signOnce()
                    case "verify": try await verifyOnce()
                    case "base": try baseOnce()
                    case "raw-sign": try rawSignOnce()
                    default: try rawVerifyOnce()
                    }
                }
                continue
            }

            // Interleave many short batches of ours and raw so both see the same machine noise (the machine is
            // shared); report the fastest batch of each, the least-disturbed estimate of the true cost.
            var oursSign: [Double] = []
            var rawSignTimes: [Double] = []
            var oursVerify: [Double] = []
            var rawVerifyTimes: [Double] = []
            let batches = 50
            let batch = max(iterations / batches, 1)
            for _ in 0..<batches {
                oursSign.append(try measure(batch, signOnce))
                rawSignTimes.append(try measure(batch, rawSignOnce))
                oursVerify.append(try await measureAsync(batch, verifyOnce))
                rawVerifyTimes.append(try measure(batch, rawVerifyOnce))
            }
            rows.append(Row(name: "\(name) sign", ours: oursSign.min() ?? 0, raw: rawSignTimes.min() ?? 0))
            rows.append(Row(name: "\(name) verify", ours: oursVerify.min() ?? 0, raw: rawVerifyTimes.min() ?? 0))
        }

        print("HTTP Message Signatures benchmark: GNAP grant request, 1024-byte JSON body, 5 covered components")
        print("(@method @target-uri content-type content-length content-digest), tag/nonce/created/keyid")
        print("\(iterations) iterations each, in 50 interleaved batches; process CPU time of the fastest batch, µs per operation")
        print("")
        print("| operation | whole sign/verify (µs) | raw primitive (µs) | ratio |")
        print("|---|---:|---:|---:|")
        for row in rows {
            print("| \(row.name) | \(format(row.ours)) | \(format(row.raw)) | \(String(format: "%.2f", row.ratio))× |")
        }
    }

    /// Process CPU time in µs: unlike wall time it does not count the time this process waits for a core, which
    /// matters on the shared 2-core machine.
    static func cpuMicroseconds() -> Double {
        var spec = timespec()
        unsafe clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) * 1e6 + Double(spec.tv_nsec) / 1e3
    }

    static func measure(_ count: Int, _ body: () throws -> Void) rethrows -> Double {
        let start = cpuMicroseconds()
        for _ in 0..<count { try body() }
        return (cpuMicroseconds() - start) / Double(count)
    }

    static func measureAsync(_ count: Int, _ body: () async throws -> Void) async rethrows -> Double {
        let start = cpuMicroseconds()
        for _ in 0..<count { try await body() }
        return (cpuMicroseconds() - start) / Double(count)
    }

    static func format(_ value: Double) -> String { String(format: "%.2f", value) }

    @inline(never)
    static func blackHole(_ value: Int) {
        if value == Int.min { print("") }
    }
}

struct AcceptAllNonces: HTTPSignatureReplayCache {
    func insertIfAbsent(nonce: String, keyID: String?, expiresAt: Date) async throws -> Bool { true }
}
