import ArgumentParser
import Cedar
import CedarWorkloads
import Foundation

extension CedarCommand {
    /// `tessera cedar bench`: times authorization on the issue's workload shapes (100 and 1,000
    /// policies over 10,000 entities, hierarchies 3 deep, document sharing and RAR payments,
    /// allow and deny) and entity-store construction from JSON. Build with `-c release`.
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Benchmark the Cedar engine (use a release build).")

        @Option(help: "Requests to time per shape.")
        var requests = 20_000
        @Option(help: "Random seed.")
        var seed: UInt64 = 42
        @Option(help: "Write the workload (policies, entities, requests) to this folder, e.g. for scripts/cedar_bench_cedarpy.py.")
        var emit: String?

        func run() async throws {
            var workload = BenchWorkload(seed: seed)
            let entitiesJSON = workload.entitiesJSON()
            let requestList = (0..<requests).map { _ in workload.randomRequest() }

            let clock = ContinuousClock()
            var store = EntityStore()
            var best = Double.infinity
            for _ in 0..<5 {
                let elapsed = try clock.measure { store = try EntityStore(json: entitiesJSON) }
                best = min(best, BenchMeasure.seconds(elapsed))
            }
            print(
                "entity store from JSON: \(store.count) entities, best of 5 \(String(format: "%.1f", best * 1000)) ms, "
                    + "\(Int(Double(store.count) / best)) entities/s"
            )

            for count in [100, 1000] {
                let text = workload.policies(count: count)
                let set = try PolicySet(parsing: text)
                let authorizer = Authorizer(policies: set)
                var allows = 0
                for r in requestList.prefix(2000) where authorizer.isAuthorized(r.request, entities: store).decision == .allow {
                    allows += 1
                }
                var samples: [Double] = []
                samples.reserveCapacity(requestList.count)
                allows = 0
                for r in requestList {
                    var decision = AuthorizationResponse.Decision.deny
                    let elapsed = clock.measure { decision = authorizer.isAuthorized(r.request, entities: store).decision }
                    if decision == .allow { allows += 1 }
                    samples.append(BenchMeasure.seconds(elapsed) * 1e6)
                }
                samples.sort()
                let median = samples[samples.count / 2]
                let p90 = samples[samples.count * 9 / 10]
                let p99 = samples[samples.count * 99 / 100]
                let mean = samples.reduce(0, +) / Double(samples.count)
                print(
                    "\(count) policies: \(requestList.count) requests, \(allows) allow, median \(String(format: "%.2f", median)) µs, "
                        + "p90 \(String(format: "%.2f", p90)) µs, p99 \(String(format: "%.2f", p99)) µs, mean \(String(format: "%.2f", mean)) µs"
                )
                if let emit {
                    try text.write(toFile: "\(emit)/bench-\(count).cedar", atomically: true, encoding: .utf8)
                }
            }
            try benchValidation(clock)
            if let emit {
                try entitiesJSON.write(toFile: "\(emit)/entities.json", atomically: true, encoding: .utf8)
                let lines = requestList.map(\.json).joined(separator: ",\n")
                try "[\n\(lines)\n]\n".write(toFile: "\(emit)/requests.json", atomically: true, encoding: .utf8)
                print("workload written to \(emit)")
            }
        }
    }
}

extension CedarCommand.Bench {
    /// Validation: a 100-policy set against a 50-entity-type schema (the RAR check on every token
    /// request), with hierarchies 5 types deep, and again with one 50-deep chain (every type may be in
    /// every later one, so `in` scopes fan out to hundreds of request environments: a worst case).
    func benchValidation(_ clock: ContinuousClock) throws {
        for chain in [false, true] {
            var workload = BenchWorkload(seed: seed)
            let schemaText = BenchWorkload.validationSchema(chain: chain)
            var schema = try Schema(parsing: schemaText)
            var parseBest = Double.infinity
            for _ in 0..<20 {
                let elapsed = try clock.measure { schema = try Schema(parsing: schemaText) }
                parseBest = min(parseBest, BenchMeasure.seconds(elapsed))
            }
            let set = try PolicySet(parsing: workload.validationPolicies(count: 100))
            let validator = Validator(schema: schema)
            var samples: [Double] = []
            var cpuSamples: [Double] = []
            var errors = 0
            for _ in 0..<200 {
                var count = 0
                let cpuStart = BenchMeasure.threadCPUTime()
                let elapsed = clock.measure { count = validator.validate(set).errors.count }
                cpuSamples.append((BenchMeasure.threadCPUTime() - cpuStart) * 1000)
                errors = count
                samples.append(BenchMeasure.seconds(elapsed) * 1000)
            }
            samples.sort()
            cpuSamples.sort()
            print(
                "validation (\(chain ? "worst case: one 50-deep chain" : "hierarchies 5 deep")): 100 policies × \(schema.entityTypes.count) entity types, "
                    + "\(schema.actions.count) actions, \(errors) errors: median \(String(format: "%.2f", samples[samples.count / 2])) ms, "
                    + "p90 \(String(format: "%.2f", samples[samples.count * 9 / 10])) ms (thread CPU time median "
                    + "\(String(format: "%.2f", cpuSamples[cpuSamples.count / 2])) ms); schema parse best \(String(format: "%.2f", parseBest * 1000)) ms"
            )
        }
    }
}

extension BenchWorkload {
    /// 50 entity types in hierarchies (5 deep, or one chain where each may be in the next two), attributes of every kind,
    /// optional attributes, tags on some, 12 actions in two groups with context records.
    static func validationSchema(chain: Bool) -> String {
        var out = "namespace Bench {\n  type Ctx = { amount: Long, currency: String, mfa?: Bool, ip: ipaddr, at: datetime };\n"
        for i in 0..<50 {
            let parents = chain ? (i < 48 ? " in [E\(i + 1), E\(i + 2)]" : "") : (i % 5 != 4 ? " in [E\(i + 1)]" : "")
            let tags = i % 5 == 0 ? " tags String" : ""
            out += "  entity E\(i)\(parents) = { n: Long, s: String, flag: Bool, owner: E0, opt?: Long, roles: Set<String>, "
            out += "limit: decimal, rec: { a: Long, b?: String } }\(tags);\n"
        }
        out += "  action read; action write;\n"
        for a in 0..<10 {
            let principals = (0..<5).map { "E\(($0 + a) % 10)" }.joined(separator: ", ")
            let resources = (0..<8).map { "E\(10 + ($0 * 5 + a) % 40)" }.joined(separator: ", ")
            out +=
                "  action a\(a) in [\(a % 2 == 0 ? "read" : "write")] appliesTo { principal: [\(principals)], resource: [\(resources)], context: Ctx };\n"
        }
        return out + "}\n"
    }

    /// `count` valid policies over ``validationSchema()``, each with conditions touching attributes, tags,
    /// optional attributes behind `has`, extension functions, sets and records.
    mutating func validationPolicies(count: Int) -> String {
        var out: [String] = []
        for n in 0..<count {
            let a = next(10)
            let p = (next(5) + a) % 10
            let r = 10 + (next(8) * 5 + a) % 40
            let scope: String
            switch n % 4 {
            case 0: scope = #"principal is Bench::E\#(p), action == Bench::Action::"a\#(a)", resource is Bench::E\#(r)"#
            case 1: scope = #"principal in Bench::E\#(p)::"g", action in Bench::Action::"read", resource"#
            case 2:
                scope =
                    #"principal, action in [Bench::Action::"a\#(a)", Bench::Action::"a\#((a + 2) % 10)"], resource in Bench::E\#(r)::"f""#
            default: scope = #"principal == Bench::E\#(p)::"u-\#(n)", action == Bench::Action::"a\#(a)", resource"#
            }
            var body = [
                "resource.owner == principal || principal.n > resource.n + 3",
                #"principal.s like "*@corp.example" && resource.roles.contains("editor")"#,
                "context.amount <= resource.n && (context has mfa && context.mfa)",
                #"context.ip.isInRange(ip("10.0.0.0/8")) && resource.limit.greaterThan(decimal("1.5"))"#,
                #"principal has opt && principal.opt < 10 && resource.rec.a == 1 && (resource.rec has b && resource.rec.b == "x")"#,
                #"context.at > datetime("2025-01-01") && context.currency == "EUR""#,
            ]
            body = [body[n % body.count], body[(n + 2) % body.count]]
            out.append("\(n % 3 == 0 ? "forbid" : "permit")(\(scope)) when { \(body[0]) } unless { !(\(body[1])) };")
        }
        return out.joined(separator: "\n") + "\n"
    }
}

/// The benchmark's deterministic workload generator, shared with `cedar-bench` (Benchmarks/CedarWorkloads).
typealias BenchWorkload = FriendlyWorkload
