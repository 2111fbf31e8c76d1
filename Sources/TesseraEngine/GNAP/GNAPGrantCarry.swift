import Foundation
import TesseraProtocol

/// ``CedarGrantCarry`` for GNAP access rights (RFC 9635 §8; the resource server reads a Cedar-profile right as an
/// `authorization_details` entry): an RFC 9767 §4 derived token, or a modification that stays approved without
/// interaction (§5.3), that keeps a reference or another non-Cedar right keeps the Cedar rights of every type it
/// starts from (security review round 10, H8). Applied before ``GNAPForbidCarry``, at the same places.
enum GNAPGrantCarry {
    /// The kept rights with the held Cedar rights of each type they leave out appended (without `locations`).
    /// - Parameters:
    ///   - held: the rights of the token (or approved token) the derivation starts from.
    ///   - kept: the rights of the derived token.
    /// - Returns: `kept`, followed by the carried Cedar rights.
    static func carry(from held: [GNAPAccessRight], into kept: [GNAPAccessRight]) -> [GNAPAccessRight] {
        let indices = CedarGrantCarry.carried(from: held.map(cedarType), into: kept.map(cedarType), keepsScope: false)
        return kept
            + indices.map { index in
                guard case .object(var object) = held[index] else { return held[index] }
                object.locations = nil
                return .object(object)
            }
    }

    /// The type of a Cedar-profile right; `nil` for a reference or any other right.
    private static func cedarType(_ right: GNAPAccessRight) -> String? {
        guard case .object(let object) = right, object.extra["rarFormat"] == .string("cedar") else { return nil }
        return object.type
    }
}
