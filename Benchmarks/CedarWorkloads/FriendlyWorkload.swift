public import Cedar

/// One request of a workload, with its JSON form for the reference engine (cedarpy).
public struct BenchRequest {
    public var request: AuthorizationRequest
    public var json: String

    public init(request: AuthorizationRequest, json: String) {
        self.request = request
        self.json = json
    }
}

/// The friendly workload of `tessera cedar bench` and `cedar-bench` (one generator for both, deterministic
/// per seed): the scope index prunes almost every policy, so it measures the index, not evaluation.
public struct FriendlyWorkload {
    private var state: UInt64
    public static let users = 5000, teams = 100, departments = 10, drives = 10, folders = 100, docs = 4000, accounts = 770
    public static let docActions = ["view", "comment", "edit", "delete", "share"]

    public init(seed: UInt64) { state = seed }

    public mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }

    /// 10,000 entities: users → teams → departments → org; docs → folders → drives; accounts; actions.
    public func entitiesJSON() -> String {
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
    public mutating func policies(count: Int) -> String {
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
    public mutating func randomRequest() -> BenchRequest {
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
        return BenchRequest(request: request, json: json)
    }
}
