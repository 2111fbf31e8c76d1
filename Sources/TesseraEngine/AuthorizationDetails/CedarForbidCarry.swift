import Cedar
import Foundation
import TesseraProtocol

/// The one rule for every path that derives Cedar access from other Cedar access or keeps part of it
/// (refresh, RFC 8693 exchange, RFC 7523 and ID-JAG redemption, RFC 9767 §4 derivation, a GNAP modification
/// without interaction, a remembered consent, a person's partial approval): **every `forbid` of the entries it
/// starts from stays in force for what is kept** (docs/rar-cedar.md, "Forbids act across entries").
///
/// A resource server enforces a token's Cedar entries as one policy set: ``TesseraResource``'s
/// `GrantedPolicyEnforcer` merges every `rarFormat: cedar` entry of the types it accepts (all types by
/// default), whatever its `locations`, and a `forbid` wins over every `permit` of that set. So a forbid in one
/// entry constrains the permits of every other entry, and a token that kept a sibling entry without it would
/// permit what its parent (or the person's approval) forbade — RFC 8693 §2.1, RFC 9396 §7, RFC 6749 §3.3 and
/// RFC 9635 §3.2 allow less than was granted or asked, never more (security review round 10, H1 and H6).
///
/// The forbids are carried over, never a reason to refuse: the derived set stays what was asked for, and
/// adding a forbid only takes away. A forbid is appended to an entry that is kept, never as an entry of its
/// own (that entry's `locations` would widen the token's audience):
/// - when an entry of the forbid's own type is kept, to the first such entry (every RS that would have merged
///   the forbid accepts that type, so it sees it there);
/// - otherwise to the first kept entry of every kept type (an RS accepting that type and the forbid's merged
///   the two in the parent).
///
/// A forbid already in a kept entry of that type is not added again (compared as canonical Cedar text).
enum CedarForbidCarry {
    /// A Cedar entry (or GNAP right) as the rule reads it: its `type` and `policySet`.
    struct Entry: Sendable, Hashable {
        var type: String
        var policySet: String
    }

    /// The kept entries with the forbids of `held` they must carry appended.
    /// - Parameters:
    ///   - held: the Cedar entries the derivation starts from (the granted, approved or requested set).
    ///   - kept: the entries of the derived set in order; `nil` for an entry that is not a Cedar entry.
    /// - Returns: `kept`, each Cedar entry's `policySet` with the forbids it carries appended (unchanged text
    ///   when none is added).
    static func carry(from held: [Entry], into kept: [Entry?]) -> [Entry?] {
        var firstOfType: [String: Int] = [:]
        var types: [String] = []
        var present: [String: Set<String>] = [:]
        for (index, entry) in kept.enumerated() {
            guard let entry else { continue }
            if firstOfType[entry.type] == nil {
                firstOfType[entry.type] = index
                types.append(entry.type)
            }
            present[entry.type, default: []].formUnion(policies(entry.policySet).map(PolicyFormatter.format))
        }
        var added: [Int: [String]] = [:]
        for entry in held {
            for forbid in policies(entry.policySet) where forbid.effect == .forbid {
                let text = PolicyFormatter.format(forbid)
                for type in firstOfType[entry.type] == nil ? types : [entry.type] where present[type]?.contains(text) != true {
                    guard let index = firstOfType[type] else { continue }
                    present[type, default: []].insert(text)
                    added[index, default: []].append(text)
                }
            }
        }
        var result = kept
        for (index, forbids) in added {
            guard let entry = kept[index] else { continue }
            result[index] = Entry(type: entry.type, policySet: appending(forbids, to: entry.policySet))
        }
        return result
    }

    /// ``carry(from:into:)-([Entry],[Entry?])`` for `authorization_details` entries (RFC 9396 §2).
    /// - Parameters:
    ///   - held: the entries the derivation starts from.
    ///   - kept: the derived entries.
    /// - Returns: `kept` with the forbids carried into its Cedar entries.
    static func carry(from held: [JSONValue], into kept: [JSONValue]) -> [JSONValue] {
        let carried = carry(from: held.compactMap(entry), into: kept.map(entry))
        return zip(kept, carried).map { original, entry in
            guard let entry, case .object(var members) = original, members["policySet"]?.stringValue != entry.policySet else {
                return original
            }
            members["policySet"] = .string(entry.policySet)
            return .object(members)
        }
    }

    /// The Cedar entry an `authorization_details` entry is to a resource server: `rarFormat` exactly `cedar`, a
    /// string `type` and `policySet`, as the enforcer reads it; `nil` for any other entry.
    /// - Parameter value: the entry.
    /// - Returns: its type and policies, or `nil`.
    static func entry(_ value: JSONValue) -> Entry? {
        guard case .object(let members) = value, members["rarFormat"] == .string("cedar"), let type = members["type"]?.stringValue,
            let policySet = members["policySet"]?.stringValue
        else { return nil }
        return Entry(type: type, policySet: policySet)
    }

    /// Whether one policy's text is a `forbid` (a consent page shows it as a fixed condition, not a choice).
    /// - Parameter text: one policy in Cedar syntax.
    /// - Returns: `true` for a forbid; `false` for a permit or text that does not parse.
    static func isForbid(_ text: String) -> Bool {
        policies(text).first?.effect == .forbid
    }

    /// The static policies of a set; none when it does not parse (a set the RS cannot parse grants nothing).
    private static func policies(_ text: String) -> [Policy] {
        (try? PolicySet(parsing: text))?.staticPolicies ?? []
    }

    /// `policySet` followed by `forbids`, as canonical text (re-parsed, so the policy ids cannot clash).
    private static func appending(_ forbids: [String], to policySet: String) -> String {
        let text = ([policySet] + forbids).joined(separator: "\n")
        guard let combined = try? PolicySet(parsing: text) else { return text }
        return PolicyFormatter.format(combined)
    }
}
