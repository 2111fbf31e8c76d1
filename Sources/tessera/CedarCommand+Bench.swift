import ArgumentParser
import Cedar
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
                best = min(best, BenchWorkload.seconds(elapsed))
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
                    samples.append(BenchWorkload.seconds(elapsed) * 1e6)
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
            if let emit {
                try entitiesJSON.write(toFile: "\(emit)/entities.json", atomically: true, encoding: .utf8)
                let lines = requestList.map(\.json).joined(separator: ",\n")
                try "[\n\(lines)\n]\n".write(toFile: "\(emit)/requests.json", atomically: true, encoding: .utf8)
                print("workload written to \(emit)")
            }
        }
    }
}

/// The benchmark's deterministic workload generator (a tool, not part of the Cedar library).
struct BenchWorkload {
    struct Request {
        var request: AuthorizationRequest
        var json: String
    }

    private var state: UInt64
    static let users = 5000, teams = 100, departments = 10, drives = 10, folders = 100, docs = 4000, accounts = 770
    static let docActions = ["view", "comment", "edit", "delete", "share"]

    init(seed: UInt64) { state = seed }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }

    /// 10,000 entities: users → teams → departments → org; docs → folders → drives; accounts; actions.
    func entitiesJSON() -> String {
        var items: [String] = []
        func uid(_ t: String, _ id: String) -> String { #"{"type":"\#(t)","id":"\#(id)"}"# }
        func entity(_ t: String, _ id: String, attrs: String = "{}", parents: [String] = []) {
            items.append(#"{"uid":\#(uid(t, id)),"attrs":\#(attrs),"parents":[\#(parents.joined(separator: ","))]}"#)
        }
        entity("Org", "acme")
        for d in 0..<Self.departments { entity("Group", "dept-\(d)", parents: [uid("Org", "acme")]) }
        for t in 0..<Self.teams { entity("Group", "team-\(t)", parents: [uid("Group", "dept-\(t % Self.departments)")]) }
        for u in 0..<Self.users {
            let attrs = #"{"dept":"dept-\#(u % Self.departments)","level":\#(u % 10),"email":"u-\#(u)@corp.example"}"#
            entity("User", "u-\(u)", attrs: attrs, parents: [uid("Group", "team-\(u % Self.teams)")])
        }
        for d in 0..<Self.drives { entity("Drive", "d-\(d)") }
        for f in 0..<Self.folders { entity("Folder", "f-\(f)", parents: [uid("Drive", "d-\(f % Self.drives)")]) }
        for d in 0..<Self.docs {
            let owner = #"{"__entity":\#(uid("User", "u-\((d * 7) % Self.users)"))}"#
            let attrs = #"{"owner":\#(owner),"private":\#(d % 3 == 0),"classification":"\#(d % 5 == 0 ? "secret" : "public")"}"#
            entity("Doc", "doc-\(d)", attrs: attrs, parents: [uid("Folder", "f-\(d % Self.folders)")])
        }
        for a in 0..<Self.accounts {
            let owner = #"{"__entity":\#(uid("User", "u-\((a * 3) % Self.users)"))}"#
            entity("Account", "acct-\(a)", attrs: #"{"owner":\#(owner),"currency":"EUR","limit":5000}"#)
        }
        entity("Action", "read")
        for a in ["view", "comment"] { entity("Action", a, parents: [uid("Action", "read")]) }
        for a in ["edit", "delete", "share", "pay", "refund"] { entity("Action", a) }
        return "[\n" + items.joined(separator: ",\n") + "\n]\n"
    }

    /// `count` policies: a fixed core plus generated sharing and payment grants, permits and forbids.
    mutating func policies(count: Int) -> String {
        var out = [
            #"permit(principal, action in Action::"read", resource is Doc) when { resource.owner == principal };"#,
            #"permit(principal, action, resource is Doc) when { resource.owner == principal };"#,
            #"forbid(principal, action == Action::"delete", resource is Doc) when { resource.private && !(resource.owner == principal) };"#,
            #"forbid(principal, action, resource) when { context has risk && context.risk > 80 };"#,
            #"permit(principal, action == Action::"pay", resource is Account) when { resource.owner == principal && context.amount <= resource.limit && context.currency == resource.currency };"#,
            #"forbid(principal, action == Action::"pay", resource) when { context.amount > 10000 };"#,
            #"forbid(principal, action in [Action::"pay", Action::"refund"], resource) unless { context has mfa && context.mfa };"#,
        ]
        var n = 0
        while out.count < count {
            let team = next(Self.teams)
            let user = next(Self.users)
            switch n % 4 {
            case 0:
                out.append(
                    #"permit(principal in Group::"team-\#(team)", action in [Action::"view", Action::"comment"], resource in Folder::"f-\#(next(Self.folders))");"#
                )
            case 1:
                out.append(
                    #"permit(principal == User::"u-\#(user)", action == Action::"edit", resource == Doc::"doc-\#(next(Self.docs))");"#
                )
            case 2:
                out.append(
                    #"forbid(principal in Group::"team-\#(team)", action == Action::"share", resource in Drive::"d-\#(next(Self.drives))") when { resource.classification == "secret" };"#
                )
            default:
                out.append(
                    #"permit(principal == User::"u-\#(user)", action == Action::"pay", resource == Account::"acct-\#(next(Self.accounts))") when { context.amount <= 500 && context.payee like "*@shop.example" };"#
                )
            }
            n += 1
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// A request mix with realistic outcomes: many principals own or share what they ask for.
    mutating func randomRequest() -> Request {
        var user = next(Self.users)
        let payment = next(4) == 0
        let action = payment ? (next(3) == 0 ? "refund" : "pay") : Self.docActions[next(Self.docActions.count)]
        let resourceIndex = next(payment ? Self.accounts : Self.docs)
        let (rtype, rid) = payment ? ("Account", "acct-\(resourceIndex)") : ("Doc", "doc-\(resourceIndex)")
        if next(2) == 0 { user = payment ? (resourceIndex * 3) % Self.users : (resourceIndex * 7) % Self.users }
        let amount = next(3) == 0 ? next(12_000) : next(1000)
        let mfa = next(5) != 0
        let risk = next(100)
        let payee = next(2) == 0 ? "store@shop.example" : "someone@else.example"
        let context: [CedarString: CedarValue] = [
            "amount": .long(Int64(amount)), "currency": .string("EUR"), "mfa": .bool(mfa), "risk": .long(Int64(risk)),
            "payee": .string(payee),
        ]
        let request = AuthorizationRequest(
            principal: EntityUID("User", "u-\(user)"),
            action: EntityUID("Action", action),
            resource: EntityUID(rtype, rid),
            context: context
        )
        let json =
            #"{"principal":{"type":"User","id":"u-\#(user)"},"action":{"type":"Action","id":"\#(action)"},"#
            + #""resource":{"type":"\#(rtype)","id":"\#(rid)"},"context":{"amount":\#(amount),"currency":"EUR","mfa":\#(mfa),"#
            + #""risk":\#(risk),"payee":"\#(payee)"}}"#
        return Request(request: request, json: json)
    }
}
