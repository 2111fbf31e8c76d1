import Foundation
import TesseraProtocol

/// The sibling of ``CedarForbidCarry`` for whole grants (security review round 10, H8): a derived token that keeps
/// a right other than a Cedar right (a scope, a GNAP reference, a non-Cedar entry) keeps the Cedar rights of every
/// type it starts from (docs/rar-cedar.md, "A Cedar grant stays with the rights it restricts").
///
/// A resource server decides a token by its Cedar rights of the types it accepts (``TesseraResource``'s
/// `GrantedPolicyEnforcer` merges every `rarFormat: cedar` entry of those types, all by default) and may decide a
/// token with none of them by a default grant of its own (the MCP example's `default-grant.cedar`: a client that
/// asked only for the scope gets the read-only tools). A Cedar right thus restricts what the token's other rights
/// give at such a server, and a derived token that kept the scope but left the Cedar right out was decided by the
/// default grant instead: wider than its parent (RFC 8693 §2.1, RFC 9396 §7, RFC 9767 §4, RFC 9635 §5.3).
///
/// The rule, per Cedar type `T` of the rights the derivation starts from: when the derived token keeps a right
/// that is not a Cedar right and holds no Cedar right of type `T` (byte-exact, as the enforcer compares types), every
/// Cedar right of type `T` it starts from is appended to it, without its `locations` (the enforcer merges a
/// right whatever its `locations`; they would only change the audience, which stays the one asked for). A
/// derived token made only of Cedar rights is left as asked: what it asked for decides it, and it holds nothing a
/// default grant would read. Carried rather than refused, as ``CedarForbidCarry`` carries forbids: they were
/// granted to the parent, so the derived token stays within it, and the client's request keeps working.
enum CedarGrantCarry {
    /// Which rights the derivation starts from are carried into the derived token.
    /// - Parameters:
    ///   - held: the Cedar type of each right the derivation starts from; `nil` for a right that is not a Cedar right.
    ///   - kept: the Cedar type of each right of the derived token; `nil` likewise.
    ///   - keepsScope: whether the derived token also carries a scope (OAuth), a right a default grant reads.
    /// - Returns: the indices in `held` of the rights to append, in their order.
    static func carried(from held: [String?], into kept: [String?], keepsScope: Bool) -> [Int] {
        guard keepsScope || kept.contains(where: { $0 == nil }) else { return [] }
        let keptTypes = kept.compactMap { $0 }
        return held.indices.filter { index in
            guard let type = held[index] else { return false }
            return !keptTypes.contains { UnicodeNFC.identical($0, type) }
        }
    }

    /// ``carried(from:into:keepsScope:)`` for `authorization_details` entries (RFC 9396 §2).
    /// - Parameters:
    ///   - held: the entries the derivation starts from (the parent token's or grant's).
    ///   - kept: the derived token's entries, `nil` when it has none.
    ///   - keepsScope: whether the derived token carries a scope.
    /// - Returns: `kept` with the carried entries appended (`nil` when it had none and none is carried).
    static func carry(from held: [JSONValue]?, into kept: [JSONValue]?, keepsScope: Bool) -> [JSONValue]? {
        guard let held else { return kept }
        let indices = carried(from: held.map(cedarType), into: (kept ?? []).map(cedarType), keepsScope: keepsScope)
        guard !indices.isEmpty else { return kept }
        return (kept ?? [])
            + indices.map { index in
                guard case .object(var members) = held[index] else { return held[index] }
                members["locations"] = nil
                return .object(members)
            }
    }

    /// The entries of `held` this AS can grant again, for a grant another issuer made (jwt-bearer, ID-JAG): an
    /// entry of a type it does not know is never carried (it cannot decide it, and issues no such entry to its
    /// resource servers; asking for it is refused as before).
    /// - Parameters:
    ///   - held: the grant's entries.
    ///   - processor: this AS's types.
    /// - Returns: the entries whose type it knows.
    static func known(_ held: [JSONValue], by processor: AuthorizationDetailsProcessor) -> [JSONValue] {
        held.filter { entry in
            guard case .object(let members) = entry, let type = members["type"]?.stringValue else { return false }
            return processor.types[type] != nil
        }
    }

    /// The type of a Cedar entry as the enforcer reads it (`rarFormat` exactly `cedar`, a string `type`); `nil` for
    /// any other entry.
    /// - Parameter entry: the entry.
    /// - Returns: its type, or `nil`.
    static func cedarType(_ entry: JSONValue) -> String? {
        guard case .object(let members) = entry, members["rarFormat"] == .string("cedar") else { return nil }
        return members["type"]?.stringValue
    }
}
