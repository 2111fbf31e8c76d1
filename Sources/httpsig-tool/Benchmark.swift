import Crypto
import Foundation
import HTTPMessageSignatures

/// `httpsig-tool bench`: the whole sign/verify of a typical GNAP grant request against the raw signature primitive
/// over the same signature base, in one process and one run.
enum Benchmark {
    /// A grant request with a ~1 KB JSON body; 5 covered components including `content-digest`.
    static func grantRequest() -> HTTPSignatureRequest {
        var access: [String] = []
        for index in 0..<14 {
            access.append(
                #"{"type":"photo-api","actions":["read","write"],"locations":["https://server.example.net/\#(index)"],"datatypes":["metadata"]}"#
            )
        }
        var body = #"{"access_token":{"access":[\#(access.joined(separator: ","))]},"client":"client-541-ab","interact":{"start":["redirect"]}}"#
        while body.utf8.count < 1024 { body.append(" ") }
        let bytes = Array(body.utf8.prefix(1024))
        // Keep the body valid JSON-ish; its exact content does not matter for the timing.
        return try! HTTPSignatureRequest(
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

    static func run(iterations: Int) async {
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        let clock: @Sendable () -> Date = { created }
        var rows: [Row] = []

        let edKey = Curve25519.Signing.PrivateKey()
        let p256Key = P256.Signing.PrivateKey()
        let cases: [(String, HTTPSigningKey, (([UInt8]) -> [UInt8]), (([UInt8], [UInt8]) -> Bool))] = [
            (
                "ed25519", HTTPSigningKey(ed25519: edKey, keyID: "bench"),
                { base in Array(try! edKey.signature(for: base)) },
                { signature, base in edKey.publicKey.isValidSignature(signature, for: base) }
            ),
            (
                "ecdsa-p256-sha256", HTTPSigningKey(p256: p256Key, keyID: "bench"),
                { base in Array(try! p256Key.signature(for: base).rawRepresentation) },
                { signature, base in
                    p256Key.publicKey.isValidSignature(try! P256.Signing.ECDSASignature(rawRepresentation: signature), for: base)
                }
            ),
        ]

        for (name, key, rawSign, rawVerify) in cases {
            let signer = HTTPMessageSigner(key: key, configuration: .gnap, now: clock)
            let verifier = HTTPMessageVerifier(
                policy: .gnap,
                keys: HTTPSignatureKeySet([key.verificationKey]),
                replayCache: AcceptAllNonces(),
                now: clock
            )
            let unsigned = grantRequest()
            var signed = unsigned
            let parameters = try! signer.sign(&signed, components: components)
            let coveredWithDigest = components
            let base = Array(
                try! HTTPMessageSigner.signatureBase(for: signed, components: coveredWithDigest, parameters: parameters).utf8
            )
            let rawSignature = rawSign(base)
            guard case .valid = try! await verifier.verify(signed), rawVerify(rawSignature, base) else {
                print("\(name): self-check failed")
                return
            }

            // Interleave batches of ours and raw to share machine noise; keep the median batch.
            var oursSign: [Double] = []
            var rawSignTimes: [Double] = []
            var oursVerify: [Double] = []
            var rawVerifyTimes: [Double] = []
            let batch = max(iterations / 10, 1)
            for _ in 0..<10 {
                oursSign.append(
                    measure(batch) {
                        var request = unsigned
                        _ = try! signer.sign(&request, components: components)
                        blackHole(request.headerFields.count)
                    }
                )
                rawSignTimes.append(measure(batch) { blackHole(rawSign(base).count) })
                oursVerify.append(
                    await measureAsync(batch) {
                        if case .valid = try! await verifier.verify(signed) { blackHole(1) }
                    }
                )
                rawVerifyTimes.append(measure(batch) { blackHole(rawVerify(rawSignature, base) ? 1 : 0) })
            }
            rows.append(Row(name: "\(name) sign", ours: median(oursSign), raw: median(rawSignTimes)))
            rows.append(Row(name: "\(name) verify", ours: median(oursVerify), raw: median(rawVerifyTimes)))
        }

        print("HTTP Message Signatures benchmark: GNAP grant request, 1024-byte JSON body, 5 covered components")
        print("(@method @target-uri content-type content-length content-digest), tag/nonce/created/keyid; \(iterations) iterations each")
        print("")
        print("| operation | whole (µs/op) | raw primitive (µs/op) | ratio |")
        print("|---|---:|---:|---:|")
        for row in rows {
            print("| \(row.name) | \(format(row.ours)) | \(format(row.raw)) | \(String(format: "%.2f", row.ratio))× |")
        }
    }

    static func measure(_ count: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        let elapsed = clock.measure { for _ in 0..<count { body() } }
        return seconds(elapsed) * 1e6 / Double(count)
    }

    static func measureAsync(_ count: Int, _ body: () async -> Void) async -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<count { await body() }
        return seconds(clock.now - start) * 1e6 / Double(count)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
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
