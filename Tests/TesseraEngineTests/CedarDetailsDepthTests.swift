import Cedar
import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraTesting
import Testing

/// RFC 9396 §5 with the Cedar profile: a requested policy whose conditions nest or chain deeper
/// than the profile accepts (``Cedar/Policy/expressionDepth`` over 100) is refused with
/// `invalid_authorization_details` before the validator, formatter or explainer (which recurse
/// once per level) see it. The 2,500-operand chains the parser accepts crashed the AS with a
/// stack overflow; here they are refused on a 512 KiB thread, for issuance (`grant`), for a grant
/// decided later (`check`, GNAP) and for a derived token (`narrow`).
@Suite struct CedarDetailsDepthTests {
    static let scope = #"permit (principal, action == BankA::Action::"initiate", resource is Creditor) when { BODY };"#
    static let n = 2500

    static let forms: [(name: String, body: String)] = [
        ("plus chain", Array(repeating: "1", count: n).joined(separator: " + ") + " > 0"),
        ("attribute chain", "context" + String(repeating: ".a", count: n - 1) + " == 1"),
        ("index chain", "context" + String(repeating: "[\"a\"]", count: n - 1) + " == 1"),
        ("method chain", "context.remittanceInformationUnstructured" + String(repeating: ".isEmpty()", count: n - 2)),
    ]

    static func entry(_ body: String) -> [JSONValue] {
        let text = scope.replacingOccurrences(of: "BODY", with: body)
        return [.object(["type": .string("payment_initiation"), "rarFormat": .string("cedar"), "policySet": .string(text)])]
    }

    static func processor() throws -> AuthorizationDetailsProcessor {
        let profile = try AuthorizationDetailsType.CedarProfile(
            schema: SeedFigures.bankSchema,
            delegationPolicies: SeedFigures.delegationPolicies(client: "service-a")
        )
        return AuthorizationDetailsProcessor(
            types: [AuthorizationDetailsType(type: "payment_initiation", cedar: profile)],
            now: { Fixtures.epoch }
        )
    }

    /// Runs `body` on a thread with a 512 KiB stack (the size of a secondary thread).
    /// - Parameter body: the work.
    /// - Returns: what `body` returned.
    static func onSmallStack<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.stackSize = 512 * 1024
            thread.start()
        }
    }

    /// The ``OAuthError`` `body` threw, or `nil` when it succeeded (or threw something else).
    /// - Parameter body: the call to make.
    /// - Returns: its error.
    static func refusal(_ body: () throws -> Void) -> OAuthError? {
        do {
            try body()
            return nil
        } catch {
            return error as? OAuthError
        }
    }

    @Test(arguments: forms.map(\.name))
    func deepChainsAreRefusedNotACrash(_ name: String) async throws {
        let form = try #require(Self.forms.first { $0.name == name })
        let processor = try Self.processor()
        let requested = Self.entry(form.body)
        let party = AuthorizationDetailsProcessor.Party(clientID: "service-a", subject: "service-a")
        let errors = await Self.onSmallStack { () -> [OAuthError?] in
            [
                Self.refusal { _ = try processor.grant(requested, to: party) },
                Self.refusal { try processor.check(requested, clientID: "service-a") },
                Self.refusal { _ = try processor.narrow(requested, within: requested) },
            ]
        }
        for error in errors {
            let error = try #require(error, "\(name) was accepted or not refused with an OAuth error")
            #expect(error.code == .invalidAuthorizationDetails)
            #expect(error.message.contains("at most 100 are accepted"), "\(name): \(error.message)")
        }
    }

    /// A flat `&&` chain is one level of nesting however long (as in the reference's parser), so
    /// a 1,000-operand one is within the profile and granted — on a 512 KiB thread, as every walker
    /// iterates over its operands.
    @Test func flatAndChainsAreOneLevelAndGranted() async throws {
        let body = Array(repeating: #"context.remittanceInformationUnstructured like "*""#, count: 1_000).joined(separator: " && ")
        let processor = try Self.processor()
        let party = AuthorizationDetailsProcessor.Party(clientID: "service-a", subject: "service-a")
        let requested = Self.entry(body)
        let text = await Self.onSmallStack { () -> String? in
            guard let granted = try? processor.grant(requested, to: party), case .object(let members) = granted.first else { return nil }
            return members["policySet"]?.stringValue
        }
        #expect(text?.components(separatedBy: " && ").count == 1_000)
    }

    @Test func chainsWithinTheLimitAreGranted() throws {
        let body = Array(repeating: #"context.remittanceInformationUnstructured like "*""#, count: 98).joined(separator: " && ")
        let party = AuthorizationDetailsProcessor.Party(clientID: "service-a", subject: "service-a")
        let granted = try Self.processor().grant(Self.entry(body), to: party)
        guard case .object(let members) = granted.first, let text = members["policySet"]?.stringValue else {
            Issue.record("no policy set granted")
            return
        }
        #expect(text.components(separatedBy: " && ").count == 98)
    }
}
