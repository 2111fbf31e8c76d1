import ArgumentParser
import Cedar
import CedarWorkloads
import Foundation
import TesseraProtocol
import TesseraResource

extension CedarCommand {
    /// `tessera cedar bench-grant`: the resource-server check of a granted Cedar policy set
    /// (seed 003) with `GrantedPolicyEnforcer` — per-request cost with the token's parse cached,
    /// for granted sets of 1 to 10 Figure-2-shaped policies, plus the RS's own policies; and the
    /// one-off parse and compile per new token. Build with `-c release`.
    struct GrantBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-grant",
            abstract: "Benchmark the RS-side check of granted Cedar policy sets (use a release build)."
        )

        @Option(help: "Requests to time per set size.")
        var requests = 20_000

        func run() async throws {
            let entities = try EntityStore(json: Self.creditorsJSON)
            let clock = ContinuousClock()
            for size in [1, 5, 10] {
                let details: [JSONValue] = [
                    .object([
                        "type": .string("payment_initiation"), "rarFormat": .string("cedar"), "policySet": .string(Self.policies(size)),
                    ])
                ]
                let enforcer = try GrantedPolicyEnforcer(ownPolicies: Self.ownPolicies)
                let grant = GrantedPolicyEnforcer.Grant(cacheKey: "bench-\(size)", authorizationDetails: details)
                // Alternate allowed and refused requests: the matching creditor (allowed) and amounts off by a cent.
                let requestsToTime = try (0..<64).map { i in try Self.payment(creditor: i % size, amount: i % 2 == 0 ? "123.50" : "123.51")
                }
                var allows = 0
                for r in requestsToTime where enforcer.authorize(r, entities: entities, grant: grant).isAllowed { allows += 1 }
                guard allows == 32 else { throw ValidationError("the workload should allow half its requests, allowed \(allows) of 64") }
                var samples: [Double] = []
                samples.reserveCapacity(requests)
                for i in 0..<requests {
                    let request = requestsToTime[i % requestsToTime.count]
                    let elapsed = clock.measure { _ = enforcer.authorize(request, entities: entities, grant: grant) }
                    samples.append(BenchMeasure.seconds(elapsed) * 1e6)
                }
                // A fresh token: parse, compile and index its set, then decide.
                var cold: [Double] = []
                for i in 0..<min(requests, 2000) {
                    let fresh = GrantedPolicyEnforcer.Grant(cacheKey: "cold-\(size)-\(i)", authorizationDetails: details)
                    let elapsed = clock.measure { _ = enforcer.authorize(requestsToTime[0], entities: entities, grant: fresh) }
                    cold.append(BenchMeasure.seconds(elapsed) * 1e6)
                }
                samples.sort()
                cold.sort()
                print(
                    "granted set of \(size) \(size == 1 ? "policy" : "policies"): cached median \(BenchMeasure.format(samples[samples.count / 2])) µs, "
                        + "p90 \(BenchMeasure.format(samples[samples.count * 9 / 10])) µs, p99 \(BenchMeasure.format(samples[samples.count * 99 / 100])) µs; "
                        + "first request of a token (parse + compile) median \(BenchMeasure.format(cold[cold.count / 2])) µs"
                )
            }
        }

        static let ownPolicies = """
            permit (principal, action, resource);
            forbid (principal, action == BankA::Action::"initiate", resource)
            when { context.instructedAmount.amount.greaterThan(decimal("10000.0")) };
            """

        /// `count` policies shaped like the seed's Figure 2, one per creditor.
        static func policies(_ count: Int) -> String {
            (0..<count).map { i in
                """
                permit (
                  principal == BankA::User::"696d28c8-8912-41d2-b182-aa7087323318",
                  action in [BankA::Action::"initiate", BankA::Action::"status"],
                  resource == Creditor::"https://example.com/creditor-\(i)"
                ) when {
                  context.instructedAmount.currency == "EUR" &&
                  context.instructedAmount.amount == decimal("123.50") &&
                  resource.creditorName == "Merchant \(i)" &&
                  resource.creditorAccount.iban == "DE02100100109307118603" &&
                  context.remittanceInformationUnstructured == "Ref Number Merchant" &&
                  context.now < datetime("2999-01-01T00:00:00Z")
                };
                """
            }.joined(separator: "\n")
        }

        static var creditorsJSON: String {
            "["
                + (0..<10).map { i in
                    #"{"uid": {"type": "Creditor", "id": "https://example.com/creditor-\#(i)"}, "parents": [], "attrs": {"creditorName": "Merchant \#(i)", "creditorAccount": {"bic": "ABCIDEFFXXX", "iban": "DE02100100109307118603"}}}"#
                }.joined(separator: ",") + "]"
        }

        static func payment(creditor: Int, amount: String) throws -> AuthorizationRequest {
            try AuthorizationRequest(
                json: """
                    {"principal": {"type": "BankA::User", "id": "696d28c8-8912-41d2-b182-aa7087323318"},
                     "action": {"type": "BankA::Action", "id": "initiate"},
                     "resource": {"type": "Creditor", "id": "https://example.com/creditor-\(creditor)"},
                     "context": {"instructedAmount": {"currency": "EUR", "amount": {"__extn": {"fn": "decimal", "arg": "\(amount)"}}},
                                 "remittanceInformationUnstructured": "Ref Number Merchant"}}
                    """
            )
        }
    }
}
