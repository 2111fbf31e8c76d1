import Cedar
import CedarWorkloads
import Foundation

/// `cedar-bench`: times `Authorizer.isAuthorized` at 100 and 1,000 policies on the friendly
/// workload of `tessera cedar bench` and on the realistic one (``RealisticWorkload``), and prints
/// median, p90 and p99 per request. Depends only on Cedar, so a release build is quick:
///
///     swift build -c release --product cedar-bench
///     .build/release/cedar-bench [--requests N] [--seed S] [--workload friendly|realistic|both] [--rounds R] [--emit DIR]
///
/// Each request is timed on its own, `R` rounds (default 3) over the same requests; the line gives
/// every round's median, the best round's p90 and p99, and the thread CPU time per request of the
/// best round (less inflated than wall time on a busy machine).
///
/// `--emit DIR` writes each workload to `DIR/<workload>/` (entities, requests, policy sets and the
/// Swift engine's answers) for `scripts/cedar_bench_agreement.py`, which checks every answer
/// against cedarpy.
struct Options {
    var requests = 20_000
    var seed: UInt64 = 42
    var workloads = ["friendly", "realistic"]
    var emit: String?
    var rounds = 3

    init(_ args: [String]) {
        var i = 1
        func value() -> String {
            i += 1
            guard i < args.count else { fatalError("missing value for \(args[i - 1])") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--requests": requests = Int(value()) ?? requests
            case "--seed": seed = UInt64(value()) ?? seed
            case "--workload":
                let w = value()
                workloads = w == "both" ? ["friendly", "realistic"] : [w]
            case "--emit": emit = value()
            case "--rounds": rounds = max(1, Int(value()) ?? rounds)
            default: fatalError("unknown option \(args[i]); see the comment at the top of main.swift")
            }
            i += 1
        }
    }
}

/// The answer in the comparison format of `scripts/cedar_bench_agreement.py`.
func answerJSON(_ r: AuthorizationResponse) -> String {
    let reasons = r.diagnostics.reasons.sorted().map { "\"\($0)\"" }.joined(separator: ",")
    let errors = Set(r.diagnostics.errors.map(\.policyID)).sorted().map { "\"\($0)\"" }.joined(separator: ",")
    return #"{"decision":"\#(r.decision.rawValue)","reason":[\#(reasons)],"errors":[\#(errors)]}"#
}

func run(workload name: String, entitiesJSON: String, requests: [BenchRequest], policies: (Int) -> String, options: Options) throws {
    let emit = options.emit
    let store = try EntityStore(json: entitiesJSON)
    let folder = emit.map { "\($0)/\(name)" }
    if let folder {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try entitiesJSON.write(toFile: "\(folder)/entities.json", atomically: true, encoding: .utf8)
        try ("[\n" + requests.map(\.json).joined(separator: ",\n") + "\n]\n").write(
            toFile: "\(folder)/requests.json",
            atomically: true,
            encoding: .utf8
        )
    }
    let clock = ContinuousClock()
    for count in [100, 1000] {
        let text = policies(count)
        let authorizer = Authorizer(policies: try PolicySet(parsing: text))
        // Warm up (and count outcomes) before timing.
        var allows = 0
        var erroring = 0
        var answers: [String] = []
        for r in requests {
            let response = authorizer.isAuthorized(r.request, entities: store)
            if response.decision == .allow { allows += 1 }
            if !response.diagnostics.errors.isEmpty { erroring += 1 }
            if folder != nil { answers.append(answerJSON(response)) }
        }
        var rounds: [(median: Double, p90: Double, p99: Double, cpu: Double)] = []
        for _ in 0..<options.rounds {
            var samples: [Double] = []
            samples.reserveCapacity(requests.count)
            let cpuStart = BenchMeasure.threadCPUTime()
            for r in requests {
                var decision = AuthorizationResponse.Decision.deny
                let elapsed = clock.measure { decision = authorizer.isAuthorized(r.request, entities: store).decision }
                _ = decision
                samples.append(BenchMeasure.seconds(elapsed) * 1e6)
            }
            let cpu = (BenchMeasure.threadCPUTime() - cpuStart) / Double(requests.count) * 1e6
            samples.sort()
            rounds.append((samples[samples.count / 2], samples[samples.count * 9 / 10], samples[samples.count * 99 / 100], cpu))
        }
        guard let best = rounds.min(by: { $0.median < $1.median }) else { return }
        print(
            "\(name) \(count) policies × \(store.count) entities: \(requests.count) requests, \(allows) allow, "
                + "\(erroring) with errors: median \(BenchMeasure.format(best.median)) µs (rounds \(rounds.map { BenchMeasure.format($0.median) }.joined(separator: ", "))), "
                + "p90 \(BenchMeasure.format(best.p90)) µs, p99 \(BenchMeasure.format(best.p99)) µs, CPU \(BenchMeasure.format(best.cpu)) µs/request"
        )
        if let folder {
            try text.write(toFile: "\(folder)/bench-\(count).cedar", atomically: true, encoding: .utf8)
            try ("[\n" + answers.joined(separator: ",\n") + "\n]\n").write(
                toFile: "\(folder)/answers-\(count).json",
                atomically: true,
                encoding: .utf8
            )
        }
    }
}

let options = Options(CommandLine.arguments)
for name in options.workloads {
    switch name {
    case "friendly":
        var w = FriendlyWorkload(seed: options.seed)
        let entities = w.entitiesJSON()
        let requests = (0..<options.requests).map { _ in w.randomRequest() }
        try run(workload: name, entitiesJSON: entities, requests: requests, policies: { w.policies(count: $0) }, options: options)
    case "realistic":
        var w = RealisticWorkload(seed: options.seed)
        let entities = w.entitiesJSON()
        let requests = (0..<options.requests).map { _ in w.randomRequest() }
        try run(workload: name, entitiesJSON: entities, requests: requests, policies: { w.policies(count: $0) }, options: options)
    default:
        fatalError("unknown workload \(name): friendly, realistic or both")
    }
}
if let emit = options.emit { print("workloads written to \(emit)/{\(options.workloads.joined(separator: ","))}") }
