import Cedar
import Foundation
import TesseraProtocol

/// Whether requested GNAP access rights stay within rights already approved (RFC 9635 §5.3: a
/// modification never gains access nobody approved). Used when a grant is modified and when a
/// person's decision is applied, so the same rule decides everywhere.
///
/// The rule is conservative — when in doubt, a right is *not* covered and needs a new approval:
/// - a reference right is covered only by the same reference;
/// - an object right is covered by one approved object of the same `type` whose `actions`,
///   `locations`, `datatypes` and `privileges` each hold the requested ones; a member the
///   approved right omits (unrestricted, or meaning whatever the API's default is) covers only a
///   request that omits it too, and a member the approved right lists must be listed (an omitted
///   member would widen it, e.g. no `locations` turns into another token audience);
/// - `identifier` must be equal; any other API-specific member must be equal;
/// - a Cedar-profile right (`"rarFormat": "cedar"`) is covered when every requested policy is one
///   of the approved set (``CedarDetailsGranter/subset(requested:of:label:)``) and every approved
///   `forbid` is still asked for, so the requested set permits nothing the approved one did not.
///
/// Coverage is judged right by right. What a resource server merges across a token's rights — a `forbid` in a
/// sibling Cedar right, a Cedar grant of a type the token no longer names while it keeps the scope — is not
/// required here but carried into what is kept (``GNAPCedarCarry``, review round 10 H1 and H8), so a token
/// that passes this test still enforces every forbid its parent did.
enum GNAPRightsCoverage {
    /// Whether every right of `wanted` is covered by some right of `approved`.
    static func covers(_ approved: [GNAPAccessRight], _ wanted: [GNAPAccessRight]) -> Bool {
        wanted.allSatisfy { want in approved.contains { have in covers(have, want) } }
    }

    /// Whether a whole (modified) token request stays within an approved one: every token's rights within the rights
    /// of ONE approved token it may stand on (``candidates(_:for:)``), never within the union of several. A person who
    /// approved two tokens (say, one for each resource server) approved each as it was: merging them would make one
    /// token usable wherever either was (RFC 9635 §2, §5.3). A bearer token stands only on an approved bearer token
    /// (RFC 9635 §2.1.1: a right approved in a key-bound token never turns bearer).
    static func covers(_ approved: GNAPTokenRequests?, _ wanted: GNAPTokenRequests?) -> Bool {
        guard let wanted else { return true }
        guard let approved else { return false }
        return wanted.requests.allSatisfy { source(of: $0, in: approved) != nil }
    }

    /// The ONE approved token a wanted token stands on: the first of its ``candidates(_:for:)`` holding every right it
    /// asks for. What the token keeps of its Cedar sources comes from this token alone (``GNAPCedarCarry``), never from
    /// another approved token that merely holds one of its rights (review round 11, J12: a key-bound token's Cedar
    /// right carried into a bearer token).
    /// - Parameters:
    ///   - token: one token as now asked for.
    ///   - approved: the token requests as approved.
    /// - Returns: the approved token, or `nil` when no candidate covers `token`.
    static func source(of token: GNAPTokenRequest, in approved: GNAPTokenRequests) -> GNAPTokenRequest? {
        candidates(approved, for: token).first { covers($0.access, token.access) }
    }

    /// The approved tokens `token` may stand on: for a bearer token the approved bearer tokens only (anyone holding it
    /// can use it); for a key-bound token every approved token. Second review of 2026-12-07, G2: a modification merged
    /// a key-bound right into a bearer token, then two separately approved tokens into one.
    private static func candidates(_ approved: GNAPTokenRequests, for token: GNAPTokenRequest) -> [GNAPTokenRequest] {
        guard token.flags?.contains("bearer") == true else { return approved.requests }
        return approved.requests.filter { $0.flags?.contains("bearer") == true }
    }

    /// Whether the subject information asked for (RFC 9635 §2.2) was all asked for when approved.
    static func covers(_ approved: GNAPSubjectRequest?, _ wanted: GNAPSubjectRequest?) -> Bool {
        guard let wanted else { return true }
        guard let approved else { return false }
        func within(_ asked: [String]?, _ held: [String]?) -> Bool { Set(asked ?? []).isSubset(of: Set(held ?? [])) }
        return within(wanted.subIDFormats, approved.subIDFormats) && within(wanted.assertionFormats, approved.assertionFormats)
            && (wanted.subIDs == nil || wanted.subIDs == approved.subIDs)
    }

    static func covers(_ have: GNAPAccessRight, _ want: GNAPAccessRight) -> Bool {
        switch (have, want) {
        case (.reference(let a), .reference(let b)): return Array(a.utf8) == Array(b.utf8)
        case (.object(let a), .object(let b)): return covers(a, b)
        default: return false
        }
    }

    /// Whether a token issued under a grant is still within the grant's current request: as
    /// ``covers(_:_:)-(GNAPTokenRequests?,GNAPTokenRequests?)`` for a single token (within one requested token), except that a Cedar-profile right
    /// in the token is the AS's narrowing of a requested one (principal pinned, actions dropped, conditions and expiry
    /// added; draft-cecchetti-oauth-rar-cedar §7), never its text (``cedarIssued(within:granted:)``).
    /// - Parameters:
    ///   - approved: the grant's current token requests.
    ///   - token: the token as issued (its granted access and flags).
    /// - Returns: `true` when every right of the token, and its `bearer` flag, is within one token of `approved`.
    static func coversIssued(_ approved: GNAPTokenRequests?, _ token: GNAPTokenRequest) -> Bool {
        guard let approved else { return false }
        return candidates(approved, for: token).contains { held in
            token.access.allSatisfy { want in
                held.access.contains { have in
                    switch (have, want) {
                    case (.reference(let a), .reference(let b)): Array(a.utf8) == Array(b.utf8)
                    case (.object(let a), .object(let b)): covers(a, b, cedar: cedarIssued(within:granted:))
                    default: false
                    }
                }
            }
        }
    }

    /// A Cedar set the AS granted from a requested one permits nothing the requested one did not: each of its
    /// permits narrows a requested permit (``Cedar/Policy/isNarrowing(of:)``), and every requested `forbid`
    /// is still in it. Anything that does not parse is not covered.
    /// - Parameters:
    ///   - requested: the requested `policySet`.
    ///   - granted: the granted `policySet`.
    /// - Returns: `true` when `granted` is within `requested`.
    static func cedarIssued(within requested: String, granted: String) -> Bool {
        guard let asked = try? PolicySet(parsing: requested), let issued = try? PolicySet(parsing: granted) else { return false }
        let permitsNarrow = issued.staticPolicies.allSatisfy { policy in
            policy.effect == .forbid || asked.staticPolicies.contains { policy.isNarrowing(of: $0) }
        }
        let forbidsKept = asked.staticPolicies.allSatisfy { forbid in
            forbid.effect != .forbid || issued.staticPolicies.contains { $0.isNarrowing(of: forbid) }
        }
        return permitsNarrow && forbidsKept
    }

    static func covers(_ have: GNAPAccessObject, _ want: GNAPAccessObject) -> Bool {
        covers(have, want, cedar: cedarCovers(approved:requested:))
    }

    /// ``covers(_:_:)-(GNAPAccessObject,GNAPAccessObject)`` with the rule for two Cedar `policySet`s given.
    private static func covers(_ have: GNAPAccessObject, _ want: GNAPAccessObject, cedar: (String, String) -> Bool) -> Bool {
        guard Array(have.type.utf8) == Array(want.type.utf8), have.identifier == want.identifier,
            within(want.actions, have.actions), within(want.locations, have.locations),
            within(want.datatypes, have.datatypes), within(want.privileges, have.privileges)
        else { return false }
        var haveExtra = have.extra
        var wantExtra = want.extra
        guard have.extra["rarFormat"] != nil || want.extra["rarFormat"] != nil else { return haveExtra == wantExtra }
        guard have.extra["rarFormat"] == .string("cedar"), want.extra["rarFormat"] == .string("cedar"),
            let heldSet = have.extra["policySet"]?.stringValue, let askedSet = want.extra["policySet"]?.stringValue,
            cedar(heldSet, askedSet)
        else { return false }
        haveExtra["policySet"] = nil
        wantExtra["policySet"] = nil
        return haveExtra == wantExtra
    }

    /// A listed member within the approved one; an omitted (or empty) member only within an omitted one.
    private static func within(_ wanted: [String]?, _ held: [String]?) -> Bool {
        let wanted = wanted ?? []
        let held = held ?? []
        if held.isEmpty { return wanted.isEmpty }
        return !wanted.isEmpty && Set(wanted).isSubset(of: Set(held))
    }

    /// The requested Cedar set permits nothing the approved set did not: its policies are among the
    /// approved ones (compared as canonical text) and it keeps every approved `forbid` (dropping a
    /// forbid would widen). Anything that does not parse is not covered.
    static func cedarCovers(approved: String, requested: String) -> Bool {
        guard (try? CedarDetailsGranter.subset(requested: requested, of: approved, label: "access")) != nil,
            let held = try? PolicySet(parsing: approved), let asked = try? PolicySet(parsing: requested)
        else { return false }
        let askedTexts = Set(asked.staticPolicies.map { PolicyFormatter.format($0) })
        return held.staticPolicies.allSatisfy { $0.effect != .forbid || askedTexts.contains(PolicyFormatter.format($0)) }
    }
}
