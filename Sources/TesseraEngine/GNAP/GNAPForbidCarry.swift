import Foundation
import TesseraProtocol

/// ``CedarForbidCarry`` for GNAP access rights (RFC 9635 §8; Cedar-profile rights carry `rarFormat: cedar` and a
/// `policySet` as `authorization_details` entries do, and the resource server merges a token's rights the same
/// way): a modification without interaction (§5.3), an RFC 9767 §4 derivation and a person's partial approval
/// keep every `forbid` of the rights they start from.
enum GNAPForbidCarry {
    /// The kept rights with the forbids of `held` carried into their Cedar rights.
    /// - Parameters:
    ///   - held: the rights of the token (or request) the derivation starts from.
    ///   - kept: the rights of the derived token.
    /// - Returns: `kept`, its Cedar rights' `policySet`s with the forbids appended.
    static func carry(from held: [GNAPAccessRight], into kept: [GNAPAccessRight]) -> [GNAPAccessRight] {
        let carried = CedarForbidCarry.carry(from: held.compactMap(entry), into: kept.map(entry))
        return zip(kept, carried).map { original, entry in
            guard let entry, case .object(var object) = original, object.extra["policySet"]?.stringValue != entry.policySet else {
                return original
            }
            object.extra["policySet"] = .string(entry.policySet)
            return .object(object)
        }
    }

    /// A Cedar-profile right as ``CedarForbidCarry`` reads it; `nil` for a reference or any other right.
    private static func entry(_ right: GNAPAccessRight) -> CedarForbidCarry.Entry? {
        guard case .object(let object) = right, object.extra["rarFormat"] == .string("cedar"),
            let policySet = object.extra["policySet"]?.stringValue
        else { return nil }
        return CedarForbidCarry.Entry(type: object.type, policySet: policySet)
    }
}

extension GNAPService {
    /// Whether one policy of a Cedar right (as ``cedarPolicies(of:)`` lists them) is a `forbid`: the consent page
    /// shows it as a condition that always applies, never as a permission to untick, and a partial approval keeps it.
    /// - Parameter text: one policy in Cedar syntax.
    /// - Returns: `true` for a forbid.
    public static func isForbid(policy text: String) -> Bool {
        CedarForbidCarry.isForbid(text)
    }
}
