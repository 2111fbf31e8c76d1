/// Conditions into clauses (``PolicyExplainer``): a `when`/`unless` body split on `&&`, each
/// conjunct put into words when it has a recognized shape, shown as code otherwise.
extension ExplanationContext {
    // MARK: - Clauses

    static func conjuncts(_ e: Expr) -> [Expr] {
        if case .and(let a, let b) = e { return conjuncts(a) + conjuncts(b) }
        return [e]
    }

    /// The clauses for conjuncts that must all hold.
    mutating func clauses(_ parts: [Expr]) -> [PolicyExplanation.Clause] {
        let comparisons = parts.map(Comparison.init)
        var consumed = Set<Int>()
        var out: [PolicyExplanation.Clause] = []
        for (i, part) in parts.enumerated() where !consumed.contains(i) {
            if let amount = amountPair(i, comparisons, consumed), let value = comparisons[amount.amount],
                let currency = comparisons[amount.currency]
            {
                consumed.formUnion([amount.amount, amount.currency])
                out.append(.text(amountText(value, currency)))
            } else if let text = clause(part, comparisons[i]) {
                out.append(.text(text))
            } else {
                mentionAll(part)
                out.append(.code(PolicyFormatter.expression(part)))
            }
        }
        return out
    }

    /// An `amount` comparison with a decimal and an `amount`'s sibling `currency == "…"` among the
    /// conjuncts (one of them at `i`). A currency already paired pairs again with another amount of the
    /// same record (an exact amount and a limit the AS added: both hold, in that currency).
    func amountPair(_ i: Int, _ comparisons: [Comparison?], _ consumed: Set<Int>) -> (amount: Int, currency: Int)? {
        guard let c = comparisons[i], let last = c.path.names.last, last == "amount" || last == "currency" else { return nil }
        let isAmount = { (x: Comparison) in
            if case .decimal = x.constant { return x.path.names.last == "amount" }
            return false
        }
        let isCurrency = { (x: Comparison) in
            if case .string = x.constant { return x.path.names.last == "currency" && x.relation == .eq }
            return false
        }
        for (j, other) in comparisons.enumerated() where j != i {
            guard let other, other.path.parent == c.path.parent, other.path.names.count > 1 else { continue }
            guard !consumed.contains(j) || (isAmount(c) && isCurrency(other)) else { continue }
            if isAmount(c) && isCurrency(other) { return (i, j) }
            if isCurrency(c) && isAmount(other) { return (j, i) }
        }
        return nil
    }

    mutating func amountText(_ amount: Comparison, _ currency: Comparison) -> String {
        guard case .decimal(let value) = amount.constant, case .string(let code) = currency.constant else { return "" }
        mention(amount.constant.cedar, shown: value)
        let shownCode = PolicyFormatter.quote(code)
        // An ISO 4217 code reads as itself; anything else stays quoted (nothing hidden).
        let codeText = code.count == 3 && code.allSatisfy({ $0.isASCII && $0.isUppercase }) ? code : shownCode
        mention(currency.constant.cedar, shown: codeText)
        return "\(subject(amount.path.parent)) \(amount.relation.quantity) \(value) \(codeText)"
    }

    /// A recognized conjunct in words, or `nil`.
    mutating func clause(_ e: Expr, _ comparison: Comparison?) -> String? {
        if let c = comparison { return comparisonText(c) }
        switch e {
        case .hasAttr(let base, let name):
            guard let p = Path(base) else { return nil }
            var full = p
            full.names.append(name.value)
            return "\(subject(full)) is given"
        case .like(let a, let pattern):
            guard let p = Path(a), !p.names.isEmpty else { return nil }
            let quoted = Self.patternLiteral(pattern)
            mention(quoted, shown: quoted)
            return "\(subject(p)) matches the pattern \(quoted) (where * stands for any text)"
        case .not(let inner):
            guard let p = Path(inner), !p.names.isEmpty, attributeType(p) == .bool else { return nil }
            return "\(subject(p)) is false"
        default:
            guard let p = Path(e), !p.names.isEmpty, attributeType(p) == .bool else { return nil }
            return "\(subject(p)) is true"
        }
    }

    mutating func comparisonText(_ c: Comparison) -> String? {
        let (annotations, _) = attribute(c.path)
        switch c.constant {
        case .string(let s):
            guard c.relation == .eq || c.relation == .notEq else { return nil }
            let shown = Self.isIBAN(s, annotations, c.path) ? Self.grouped(s) : PolicyFormatter.quote(s)
            mention(c.constant.cedar, shown: shown)
            return "\(subject(c.path)) \(c.relation == .eq ? "is" : "is not") \(shown)"
        case .entity(let u):
            guard c.relation == .eq || c.relation == .notEq else { return nil }
            return "\(subject(c.path)) \(c.relation == .eq ? "is" : "is not") \(entity(u))"
        case .long(let v):
            mention(c.constant.cedar, shown: String(v))
            return "\(subject(c.path)) \(c.relation.quantity) \(v)"
        case .decimal(let s):
            mention(c.constant.cedar, shown: s)
            return "\(subject(c.path)) \(c.relation.quantity) \(s)"
        case .ip(let s):
            guard c.relation == .eq || c.relation == .notEq else { return nil }
            mention(c.constant.cedar, shown: s)
            return "\(subject(c.path)) \(c.relation == .eq ? "is" : "is not") the address \(s)"
        case .datetime(_, let ms):
            guard let when = Self.date(ms) else { return nil }
            mention(c.constant.cedar, shown: when)
            let isClock = c.path.root == .context && c.path.names == ["now"]
            let phrase: String
            switch c.relation {
            case .eq: phrase = isClock ? "only at \(when)" : "is \(when)"
            case .notEq: phrase = isClock ? "except at \(when)" : "is not \(when)"
            case .less: phrase = isClock ? "until \(when)" : "is before \(when)"
            case .lessEq: phrase = isClock ? "until \(when) inclusive" : "is at or before \(when)"
            case .greater: phrase = isClock ? "after \(when)" : "is after \(when)"
            case .greaterEq: phrase = isClock ? "from \(when) on" : "is at or after \(when)"
            }
            return isClock ? phrase : "\(subject(c.path)) \(phrase)"
        }
    }

    // MARK: - Attributes

    /// The schema's annotations and type for the attribute at `path`.
    func attribute(_ path: Path) -> (annotations: [String: String], type: SchemaType?) {
        var type = labels.root(path.root, principal: scope.principal, resource: scope.resource, actions: scope.actions)
        var annotations: [String: String] = [:]
        for n in path.names { (annotations, type) = labels.attribute(n, of: type) }
        return (annotations, type)
    }

    func attributeType(_ path: Path) -> SchemaType? { attribute(path).type }

    /// "the IBAN of the account of the creditor": labels innermost first; the resource and
    /// principal are named by their type, the context is implied.
    func subject(_ path: Path) -> String {
        var type = labels.root(path.root, principal: scope.principal, resource: scope.resource, actions: scope.actions)
        var words: [String] = []
        for n in path.names {
            let (annotations, next) = labels.attribute(n, of: type)
            words.append(SchemaLabels.label(annotations, fallback: n))
            type = next
        }
        var parts = words.reversed().map { "the " + $0 }
        switch path.root {
        case .resource: parts.append("the " + (scope.resource.map(labels.entityType) ?? "resource"))
        case .principal: parts.append("the " + (scope.principal.map(labels.entityType) ?? "principal"))
        default: break
        }
        return parts.joined(separator: " of ")
    }

    /// A `like` pattern as written in Cedar (`"*x*"`, a literal `*` escaped).
    static func patternLiteral(_ p: Pattern) -> String {
        let text = PolicyFormatter.expression(.like(.variable(.context), p))
        return String(text.dropFirst("context like ".count))
    }

    // MARK: - Code

    /// Records every constant of an expression shown as code (its Cedar form is what is shown).
    mutating func mentionAll(_ e: Expr) {
        if let c = Constant(e) {
            if case .entity(let u) = c {
                mention(u.description, shown: u.description)
            } else {
                mention(c.cedar, shown: c.cedar)
            }
            return
        }
        switch e {
        case .literal(.string), .literal(.long), .literal(.entity):
            // Handled by `Constant` above.
            break
        case .literal(let v):
            if case .bool = v { break }
            if case .extensionValue = v { mention(v.description, shown: v.description) }
            if case .set(let items) = v { for i in items { mentionAll(.literal(i)) } }
            if case .record(let fields) = v { for f in fields.values { mentionAll(.literal(f)) } }
        case .variable, .slot: break
        case .not(let a), .negate(let a), .isEmpty(let a), .getAttr(let a, _), .hasAttr(let a, _), .isType(let a, _):
            mentionAll(a)
        case .like(let a, let p):
            mentionAll(a)
            let quoted = Self.patternLiteral(p)
            mention(quoted, shown: quoted)
        case .and(let a, let b), .or(let a, let b), .binary(_, let a, let b), .isIn(let a, _, let b):
            mentionAll(a)
            mentionAll(b)
        case .ifThenElse(let a, let b, let c):
            mentionAll(a)
            mentionAll(b)
            mentionAll(c)
        case .set(let items), .call(_, let items), .allOf(let items), .anyOf(let items):
            for i in items { mentionAll(i) }
        case .record(let fields): for f in fields { mentionAll(f.value) }
        case .steps: mentionAll(Compiler.expand(e))
        }
    }
}
