import Cedar
import Foundation
import TesseraEngine
import TesseraProtocol

/// The cards the consent pages (GNAP and OAuth) and the account page show for requested rights
/// (issue 21): a Cedar-profile entry as one card per policy — the plain-language sentence, the
/// narrowing the server will apply, and the exact policy behind a disclosure — and any other entry as
/// a readable list of its members. Every value is escaped by ``HTML``.
enum ConsentCards {
    /// One card per policy of a Cedar entry. `checkbox` gives the form's key of policy `index` when
    /// the person approves policy by policy (GNAP), `nil` when the entry is approved as a whole.
    static func cedar(_ original: CedarConsentPreview, id: (Int) -> String, tickable: Bool, _ m: MessageCatalog) -> HTML {
        // The sentences in the page's language (the catalog's `cedar.*` phrases, `@label_<language>`
        // from the schema).
        let preview = original.speaking(m.explanationPhrases)
        var cards: [HTML] = []
        if let problem = preview.problem {
            cards.append("<p class=\"error\" role=\"note\">\(m(.cardRefusedEntry, ["reason": "\(problem)"]))</p>")
        }
        for (index, item) in preview.items.enumerated() {
            let key = id(index)
            // A forbid is a condition on what is shared, never a permission to untick (security review round 10, H6).
            let fixed = item.explanation.effect == .forbid
            let head: HTML =
                tickable && !fixed
                ? """
                <input type="checkbox" name="policy" value="\(key)" id="\(key)" checked>\
                <label for="\(key)" class="sentence">\(sentence(item.explanation))</label>
                """
                : "<p class=\"sentence\">\(sentence(item.explanation))</p>"
            cards.append(
                """
                <div class="card policy \(item.explanation.effect.rawValue)" id="card-\(key)">\(head)
                \(fixed ? restriction(key: key, m) : .empty)
                \(clauses(item.explanation, m))
                \(narrowing(item.outcome, key: key, m))
                \(exact(item, m))
                </div>
                """
            )
        }
        return HTML.join(cards)
    }

    /// The note on a `forbid`'s card: a restriction that always applies to what is shared, whatever is unticked
    /// (the server keeps it for every entry or right the resource server merges it with; docs/rar-cedar.md).
    /// - Parameters:
    ///   - key: the card's key.
    ///   - m: the page's catalog.
    /// - Returns: the note.
    static func restriction(key: String, _ m: MessageCatalog) -> HTML {
        "<p class=\"fixed\" id=\"fixed-\(key)\">\(m(.cardFixedRestriction))</p>"
    }

    /// "User "alice" may initiate the payment on creditor "…"" with a period or a colon.
    static func sentence(_ explanation: PolicyExplanation) -> String {
        explanation.sentence + (explanation.conditions.isEmpty && explanation.exceptions.isEmpty ? "." : ",")
    }

    /// The conditions ("only if all of these hold") and the exceptions ("except when").
    static func clauses(_ explanation: PolicyExplanation, _ m: MessageCatalog) -> HTML {
        var parts: [HTML] = []
        if !explanation.conditions.isEmpty {
            let lead = m(explanation.effect == .permit ? .cardOnlyIf : .cardWhen)
            let items = explanation.conditions.map { clause -> HTML in "<li>\(inline(clause, m))</li>" }
            parts.append("<p class=\"lead\">\(lead)</p><ul class=\"conditions\">\(items)</ul>")
        }
        if !explanation.exceptions.isEmpty {
            let items = explanation.exceptions.map { block -> HTML in "<li>\(HTML.join(block.map { inline($0, m) }))</li>" }
            parts.append("<p class=\"lead\">\(m(.cardExcept))</p><ul class=\"exceptions\">\(items)</ul>")
        }
        return HTML.join(parts)
    }

    /// A clause in words, or — when it could not be put into words faithfully — as code, said so.
    static func inline(_ clause: PolicyExplanation.Clause, _ m: MessageCatalog) -> HTML {
        switch clause {
        case .text(let text): "<span>\(text)</span> "
        case .code(let code): "<span class=\"code-clause\">\(m(.cardAsCode)) <code>\(code)</code></span> "
        }
    }

    /// What the server will change, shown before the person approves.
    static func narrowing(_ outcome: CedarConsentPreview.Outcome, key: String, _ m: MessageCatalog) -> HTML {
        switch outcome {
        case .asRequested:
            return .empty
        case .refused(let reason):
            return """
                <section class="narrowing refused" id="narrowing-\(key)"><p class="lead">\(m(.cardRefusedPolicy, ["reason": "\(reason)"]))</p></section>
                """
        case .narrowed(let change):
            var items: [HTML] = []
            if !change.droppedActions.isEmpty {
                items.append("<li>\(m(.cardDropped, ["actions": "<strong>\(list(change.droppedActions, m))</strong>"]))</li>")
            }
            for added in change.addedConditions {
                items.append("<li>\(m(.cardAdds, ["clause": inline(added, m)]))</li>")
            }
            if change.scopeChanged {
                let id: MessageID = change.granted.conditions.isEmpty ? .cardAsGranted : .cardAsGrantedConditions
                items.append("<li>\(m(id, ["sentence": "\(change.granted.sentence)"]))</li>")
            }
            return """
                <section class="narrowing" id="narrowing-\(key)"><p class="lead">\(m(.cardGrantsLess))</p>\
                <ul>\(items)</ul></section>
                """
        }
    }

    /// The policy exactly as asked (and as it will be granted) behind a disclosure.
    static func exact(_ item: CedarConsentPreview.Item, _ m: MessageCatalog) -> HTML {
        var granted: HTML = .empty
        if case .narrowed(let change) = item.outcome {
            granted = "<p class=\"lead\">\(m(.cardGrantedCedar))</p><pre>\(change.grantedCedar)</pre>"
        }
        return "<details class=\"exact\"><summary>\(m(.cardShowExact))</summary><pre>\(item.cedar)</pre>\(granted)</details>"
    }

    /// "a", "a or b", "a, b or c" (the catalog's "or").
    static func list(_ names: [String], _ m: MessageCatalog) -> String {
        guard names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " " + m.text(.listOr) + " " + names[names.count - 1]
    }

    // MARK: - Other entries

    /// The common members of RFC 9396 §2.2 (and RFC 9635 §8), named for people, in this order.
    static let commonMembers: [(String, MessageID)] = [
        ("actions", .memberActions), ("locations", .memberLocations), ("datatypes", .memberDatatypes), ("identifier", .memberIdentifier),
        ("privileges", .memberPrivileges),
    ]

    /// An entry's members as a readable list: the common ones named, any other by its name; lists
    /// joined, structured values as indented JSON. `type` is the card's title and `rarFormat` says
    /// nothing to a person; a `policySet` that is not shown explained is shown as code.
    static func members(_ members: [String: JSONValue], _ m: MessageCatalog) -> HTML {
        var rows: [HTML] = []
        var blocks: [HTML] = []
        let common = Set(commonMembers.map(\.0))
        for (name, title) in commonMembers {
            if let value = members[name] { rows.append("<dt>\(m(title))</dt><dd>\(text(value))</dd>") }
        }
        for (name, value) in members.sorted(by: { $0.key < $1.key }) where !common.contains(name) && name != "type" && name != "rarFormat" {
            if name == "policySet", let policies = value.stringValue {
                blocks.append("<p><strong>\(m(.memberCedarPolicies))</strong></p><pre>\(policies)</pre>")
            } else if case .object = value {
                rows.append("<dt>\(name)</dt><dd><pre>\(InteractionPages.readable(value))</pre></dd>")
            } else {
                rows.append("<dt>\(name)</dt><dd>\(text(value))</dd>")
            }
        }
        return "<dl>\(rows)</dl>\(blocks)"
    }

    /// A member's value as text: strings as they are, lists of strings joined, anything else as JSON.
    static func text(_ value: JSONValue) -> HTML {
        if let string = value.stringValue { return "\(string)" }
        if case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) {
            return "\(items.compactMap(\.stringValue).joined(separator: ", "))"
        }
        return "<pre>\(InteractionPages.readable(value))</pre>"
    }

    /// A GNAP access object's members as JSON values (the typed members and the others alike).
    static func members(of object: GNAPAccessObject) -> [String: JSONValue] {
        guard let data = try? JSONEncoder().encode(object),
            case .object(let members)? = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { return ["type": .string(object.type)] }
        return members
    }
}
