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
    static func cedar(_ preview: CedarConsentPreview, id: (Int) -> String, tickable: Bool) -> HTML {
        var cards: [HTML] = []
        if let problem = preview.problem {
            cards.append("<p class=\"error\" role=\"note\">This server will not grant this: \(problem).</p>")
        }
        for (index, item) in preview.items.enumerated() {
            let key = id(index)
            let head: HTML =
                tickable
                ? """
                <input type="checkbox" name="policy" value="\(key)" id="\(key)" checked>\
                <label for="\(key)" class="sentence">\(sentence(item.explanation))</label>
                """
                : "<p class=\"sentence\">\(sentence(item.explanation))</p>"
            cards.append(
                """
                <div class="card policy \(item.explanation.effect.rawValue)" id="card-\(key)">\(head)
                \(clauses(item.explanation))
                \(narrowing(item.outcome, key: key))
                \(exact(item))
                </div>
                """
            )
        }
        return HTML.join(cards)
    }

    /// "User "alice" may initiate the payment on creditor "…"" with a period or a colon.
    static func sentence(_ explanation: PolicyExplanation) -> String {
        explanation.sentence + (explanation.conditions.isEmpty && explanation.exceptions.isEmpty ? "." : ",")
    }

    /// The conditions ("only if all of these hold") and the exceptions ("except when").
    static func clauses(_ explanation: PolicyExplanation) -> HTML {
        var parts: [HTML] = []
        if !explanation.conditions.isEmpty {
            let lead = explanation.effect == .permit ? "only if all of these hold:" : "when all of these hold:"
            parts.append("<p class=\"lead\">\(lead)</p><ul class=\"conditions\">\(explanation.conditions.map(clause))</ul>")
        }
        if !explanation.exceptions.isEmpty {
            let items = explanation.exceptions.map { block -> HTML in "<li>\(HTML.join(block.map(inline)))</li>" }
            parts.append("<p class=\"lead\">except when:</p><ul class=\"exceptions\">\(items)</ul>")
        }
        return HTML.join(parts)
    }

    static func clause(_ clause: PolicyExplanation.Clause) -> HTML { "<li>\(inline(clause))</li>" }

    /// A clause in words, or — when it could not be put into words faithfully — as code, said so.
    static func inline(_ clause: PolicyExplanation.Clause) -> HTML {
        switch clause {
        case .text(let text): "<span>\(text)</span> "
        case .code(let code): "<span class=\"code-clause\">as Cedar code (not put into words): <code>\(code)</code></span> "
        }
    }

    /// What the server will change, shown before the person approves.
    static func narrowing(_ outcome: CedarConsentPreview.Outcome, key: String) -> HTML {
        switch outcome {
        case .asRequested:
            return .empty
        case .refused(let reason):
            return """
                <section class="narrowing refused" id="narrowing-\(key)"><p class="lead">This server will not grant this policy: \(reason).</p></section>
                """
        case .narrowed(let change):
            var items: [HTML] = []
            if !change.droppedActions.isEmpty {
                items.append("<li>It will not let the application <strong>\(list(change.droppedActions))</strong>.</li>")
            }
            for added in change.addedConditions {
                items.append("<li>It adds: \(inline(added))</li>")
            }
            if change.scopeChanged {
                let conditions = change.granted.conditions.isEmpty ? "." : ", with the conditions above."
                items.append("<li>As granted: \(change.granted.sentence + conditions)</li>")
            }
            return """
                <section class="narrowing" id="narrowing-\(key)"><p class="lead">This server will grant less than asked:</p>\
                <ul>\(items)</ul></section>
                """
        }
    }

    /// The policy exactly as asked (and as it will be granted) behind a disclosure.
    static func exact(_ item: CedarConsentPreview.Item) -> HTML {
        var granted: HTML = .empty
        if case .narrowed(let change) = item.outcome {
            granted = "<p class=\"lead\">As this server will grant it:</p><pre>\(change.grantedCedar)</pre>"
        }
        return "<details class=\"exact\"><summary>Show the exact policy</summary><pre>\(item.cedar)</pre>\(granted)</details>"
    }

    /// "a", "a or b", "a, b or c".
    static func list(_ names: [String]) -> String {
        guard names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }

    // MARK: - Other entries

    /// The common members of RFC 9396 §2.2 (and RFC 9635 §8), named for people, in this order.
    static let commonMembers: [(String, String)] = [
        ("actions", "Actions"), ("locations", "Locations"), ("datatypes", "Data types"), ("identifier", "Identifier"),
        ("privileges", "Privileges"),
    ]

    /// An entry's members as a readable list: the common ones named, any other by its name; lists
    /// joined, structured values as indented JSON. `type` is the card's title and `rarFormat` says
    /// nothing to a person; a `policySet` that is not shown explained is shown as code.
    static func members(_ members: [String: JSONValue]) -> HTML {
        var rows: [HTML] = []
        var blocks: [HTML] = []
        let common = Set(commonMembers.map(\.0))
        for (name, title) in commonMembers {
            if let value = members[name] { rows.append("<dt>\(title)</dt><dd>\(text(value))</dd>") }
        }
        for (name, value) in members.sorted(by: { $0.key < $1.key }) where !common.contains(name) && name != "type" && name != "rarFormat" {
            if name == "policySet", let policies = value.stringValue {
                blocks.append("<p><strong>Cedar policies</strong></p><pre>\(policies)</pre>")
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
