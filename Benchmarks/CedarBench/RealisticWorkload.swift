import Cedar
import CedarWorkloads

/// A realistic workload where the scope index prunes little (issue 22 item 4): 10,000 entities in
/// org → group → user and drive → folder → document hierarchies (groups and folders nested),
/// ReBAC conditions (`resource.owner == principal`, `principal in resource.editors`,
/// `principal.clearance >= resource.classification`, owner's manager), tag and department checks,
/// context conditions, `unless`, forbids, about 16 % of policies with an unconstrained principal,
/// and action groups three levels deep (`all` → `read`/`write`/`manage` → leaf actions).
///
/// Some users lack `clearance`, some documents lack `classification`, some requests name a folder
/// or drive (no `classification` either), lack `context.device` or name a user who is not in the
/// store, so policies also error — the authorizer must skip and report them as the reference does.
/// Deterministic for a seed.
struct RealisticWorkload {
    private var state: UInt64
    static let orgs = 5, groups = 200, users = 5000, drives = 20, folders = 400, docs = 4370
    static let departments = ["eng", "sales", "legal", "hr", "finance", "ops", "research", "support"]
    static let tags = ["pii", "finance", "legal", "draft", "external", "board", "hr", "roadmap", "customer", "internal"]
    static let actionGroups: [String: [String]] = [
        "all": ["read", "write", "manage"], "read": ["view", "download"], "write": ["comment", "edit"],
        "manage": ["delete", "share", "move"],
    ]
    static let leafActions = ["view", "download", "comment", "edit", "delete", "share", "move"]
    static let groupActions = ["read", "write", "manage", "all"]

    init(seed: UInt64) { state = seed ^ 0x5EED_CEDA }

    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }

    private mutating func pick<T>(_ list: [T]) -> T { list[next(list.count)] }

    /// Document `d`'s owner (requests use it to ask for what the principal owns).
    static func owner(ofDoc d: Int) -> Int { (d * 13 + 7) % users }
    /// Document `d`'s editors.
    static func editors(ofDoc d: Int) -> [Int] { (0..<(d % 4)).map { (d * 31 + $0 * 977) % users } }
    static func hasClearance(_ u: Int) -> Bool { u % 23 != 0 }
    static func hasClassification(_ d: Int) -> Bool { d % 50 != 0 }

    /// About 10,000 entities.
    func entitiesJSON() -> String {
        var items: [String] = []
        items.reserveCapacity(10_100)
        func uid(_ t: String, _ id: String) -> String { #"{"type":"\#(t)","id":"\#(id)"}"# }
        func ref(_ t: String, _ id: String) -> String { #"{"__entity":\#(uid(t, id))}"# }
        func entity(_ t: String, _ id: String, attrs: String = "{}", parents: [String] = []) {
            items.append(#"{"uid":\#(uid(t, id)),"attrs":\#(attrs),"parents":[\#(parents.joined(separator: ","))]}"#)
        }
        let depts = Self.departments
        for o in 0..<Self.orgs { entity("Org", "org-\(o)", attrs: #"{"name":"Org \#(o)"}"#) }
        for g in 0..<Self.groups {
            var parents = [uid("Org", "org-\(g % Self.orgs)")]
            if g >= 50 { parents.append(uid("Group", "g-\(g % 50)")) }
            entity("Group", "g-\(g)", attrs: #"{"dept":"\#(depts[g % depts.count])"}"#, parents: parents)
        }
        for u in 0..<Self.users {
            var parents = [uid("Group", "g-\(u % Self.groups)")]
            if u % 3 == 0 { parents.append(uid("Group", "g-\((u * 7 + 1) % Self.groups)")) }
            var attrs = #""dept":"\#(depts[(u / 3) % depts.count])","manager":\#(ref("User", "u-\(u / 10)")),"active":\#(u % 17 != 0)"#
            if Self.hasClearance(u) { attrs += #","clearance":\#(u % 5)"# }
            entity("User", "u-\(u)", attrs: "{\(attrs)}", parents: parents)
        }
        for d in 0..<Self.drives {
            entity("Drive", "d-\(d)", attrs: #"{"owner":\#(ref("User", "u-\(d * 211)"))}"#, parents: [uid("Org", "org-\(d % Self.orgs)")])
        }
        for f in 0..<Self.folders {
            let parent = f < 100 ? uid("Drive", "d-\(f % Self.drives)") : uid("Folder", "f-\(f % 100)")
            entity("Folder", "f-\(f)", attrs: #"{"owner":\#(ref("User", "u-\((f * 37) % Self.users)"))}"#, parents: [parent])
        }
        for d in 0..<Self.docs {
            let tags = (0..<(1 + d % 3)).map { #""\#(Self.tags[(d + $0 * 3) % Self.tags.count])""# }.joined(separator: ",")
            let editors = Self.editors(ofDoc: d).map { ref("User", "u-\($0)") }.joined(separator: ",")
            var attrs =
                #""owner":\#(ref("User", "u-\(Self.owner(ofDoc: d))")),"tags":[\#(tags)],"editors":[\#(editors)],"#
                + #""dept":"\#(depts[d % depts.count])","public":\#(d % 11 == 0)"#
            if Self.hasClassification(d) { attrs += #","classification":\#(d % 5)"# }
            entity("Document", "doc-\(d)", attrs: "{\(attrs)}", parents: [uid("Folder", "f-\(d % Self.folders)")])
        }
        for (group, members) in Self.actionGroups.sorted(by: { $0.key < $1.key }) {
            for m in members { entity("Action", m, parents: [uid("Action", group)]) }
        }
        entity("Action", "all")
        return "[\n" + items.joined(separator: ",\n") + "\n]\n"
    }

    private mutating func principalScope() -> String {
        let r = next(100)
        switch r {
        case 0..<16: return "principal"
        case 16..<56: return #"principal in Group::"g-\#(next(Self.groups))""#
        case 56..<66: return #"principal == User::"u-\#(next(Self.users))""#
        case 66..<86: return "principal is User"
        default: return #"principal is User in Group::"g-\#(next(Self.groups))""#
        }
    }

    private mutating func actionScope() -> String {
        let r = next(100)
        switch r {
        case 0..<25: return #"action == Action::"\#(pick(Self.leafActions))""#
        case 25..<65: return #"action in Action::"\#(pick(Self.groupActions))""#
        case 65..<90:
            let a = pick(Self.leafActions)
            let b = pick(Self.leafActions + Self.groupActions)
            return #"action in [Action::"\#(a)", Action::"\#(b)"]"#
        default: return "action"
        }
    }

    private mutating func resourceScope() -> String {
        let r = next(100)
        switch r {
        case 0..<25: return #"resource in Folder::"f-\#(next(Self.folders))""#
        case 25..<40: return #"resource in Drive::"d-\#(next(Self.drives))""#
        case 40..<75: return "resource is Document"
        case 75..<80: return #"resource == Document::"doc-\#(next(Self.docs))""#
        case 80..<90: return #"resource is Document in Drive::"d-\#(next(Self.drives))""#
        default: return "resource"
        }
    }

    private mutating func conjunct() -> String {
        switch next(18) {
        case 0, 1, 2: return "resource.owner == principal"
        case 3, 4: return "principal in resource.editors"
        case 5, 6: return "principal.clearance >= resource.classification"
        case 7: return #"resource.tags.contains("\#(pick(Self.tags))")"#
        case 8: return #"principal.dept == "\#(pick(Self.departments))""#
        case 9: return "resource.dept == principal.dept"
        case 10: return "principal has clearance && principal.clearance >= \(next(5))"
        case 11: return "context.mfa == true"
        case 12: return "context.hour >= \(6 + next(4)) && context.hour < \(17 + next(5))"
        case 13: return "resource.owner.manager == principal"
        case 14: return "principal.active"
        case 15: return #"context has device && context.device == "managed""#
        case 16: return #"resource.tags.containsAny(["\#(pick(Self.tags))", "\#(pick(Self.tags))"])"#
        default: return #"principal in Group::"g-\#(next(Self.groups))""#
        }
    }

    private mutating func unlessBody() -> String {
        switch next(6) {
        case 0: return #"resource.tags.contains("board")"#
        case 1: return "principal.active == false"
        case 2: return "resource.public"
        case 3: return #"context.device == "byod""#
        case 4: return "resource.classification > 3"
        default: return "context.mfa"
        }
    }

    /// `count` policies: about 85 % permits, every policy with a generated scope and 1–3 conjuncts.
    mutating func policies(count: Int) -> String {
        var out: [String] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            let forbid = next(100) < 15
            let scope = "\(principalScope()), \(actionScope()), \(resourceScope())"
            var clauses: [String] = []
            let conjuncts = forbid ? 1 + next(2) : 1 + next(3)
            clauses.append("when { " + (0..<conjuncts).map { _ in conjunct() }.joined(separator: " && ") + " }")
            if next(100) < 20 { clauses.append("unless { \(unlessBody()) }") }
            let body = clauses.isEmpty ? "" : " " + clauses.joined(separator: " ")
            out.append("\(forbid ? "forbid" : "permit")(\(scope))\(body);")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// A request: a user (now and then one not in the store) asking for a leaf action on a
    /// document (sometimes a folder or a drive); a third of the time the principal owns or edits it.
    mutating func randomRequest() -> BenchRequest {
        let action = pick(Self.leafActions)
        let kind = next(100)
        var principal = "u-\(next(Self.users))"
        let rtype: String
        let rid: String
        if kind < 85 {
            let d = next(Self.docs)
            (rtype, rid) = ("Document", "doc-\(d)")
            switch next(100) {
            case 0..<25: principal = "u-\(Self.owner(ofDoc: d))"
            case 25..<35: if let e = Self.editors(ofDoc: d).first { principal = "u-\(e)" }
            default: break
            }
        } else if kind < 95 {
            (rtype, rid) = ("Folder", "f-\(next(Self.folders))")
        } else {
            (rtype, rid) = ("Drive", "d-\(next(Self.drives))")
        }
        if next(100) == 0 { principal = "ghost-\(next(50))" }
        let mfa = next(5) != 0
        let hour = next(24)
        var context: [CedarString: CedarValue] = ["mfa": .bool(mfa), "hour": .long(Int64(hour))]
        var contextJSON = #""mfa":\#(mfa),"hour":\#(hour)"#
        if next(10) < 7 {
            let device = next(3) == 0 ? "byod" : "managed"
            context["device"] = .string(device)
            contextJSON += #","device":"\#(device)""#
        }
        let request = AuthorizationRequest(
            principal: EntityUID("User", principal),
            action: EntityUID("Action", action),
            resource: EntityUID(rtype, rid),
            context: context
        )
        let json =
            #"{"principal":{"type":"User","id":"\#(principal)"},"action":{"type":"Action","id":"\#(action)"},"#
            + #""resource":{"type":"\#(rtype)","id":"\#(rid)"},"context":{\#(contextJSON)}}"#
        return BenchRequest(request: request, json: json)
    }
}
