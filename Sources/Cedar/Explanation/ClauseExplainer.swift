/// Conditions into clauses (``PolicyExplainer``): a `when`/`unless` body split on `&&`, each
/// conjunct put into words when it has a recognized shape, shown as code otherwise.
extension ExplanationContext {
    // MARK: - Clauses

    /// The conjuncts of `e`, left to right; iterative (an explicit stack), as a `&&` chain is as
    /// long as the policy is deep.
    static func conjuncts(_ e: Expr) -> [Expr] {
        var out: [Expr] = []
        var pending = [e]
        while let next = pending.popLast() {
            if case .and(let a, let b) = next {
                pending.append(b)
                pending.append(a)
            } else if case .allOf(let items) = next {
                pending.append(contentsOf: items.reversed())
            } else {
                out.append(next)
            }
        }
        return out
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
        return phrases(amount.relation.quantity, ["subject": subject(amount.path.parent), "value": "\(value) \(codeText)"])
    }

    /// A recognized conjunct in words, or `nil`.
    mutating func clause(_ e: Expr, _ comparison: Comparison?) -> String? {
        if let c = comparison { return comparisonText(c) }
        switch e {
        case .hasAttr(let base, let name):
            guard let p = Path(base) else { return nil }
            var full = p
            full.names.append(name.value)
            return phrases(.clauseGiven, ["subject": subject(full)])
        case .like(let a, let pattern):
            guard let p = Path(a), !p.names.isEmpty else { return nil }
            let quoted = Self.patternLiteral(pattern)
            mention(quoted, shown: quoted)
            return phrases(.clauseLike, ["subject": subject(p), "pattern": quoted])
        case .not(let inner):
            guard let p = Path(inner), !p.names.isEmpty, attributeType(p) == .bool else { return nil }
            return phrases(.clauseFalse, ["subject": subject(p)])
        default:
            guard let p = Path(e), !p.names.isEmpty, attributeType(p) == .bool else { return nil }
            return phrases(.clauseTrue, ["subject": subject(p)])
        }
    }

    mutating func comparisonText(_ c: Comparison) -> String? {
        let (annotations, _) = attribute(c.path)
        switch c.constant {
        case .string(let s):
            guard c.relation == .eq || c.relation == .notEq else { return nil }
            let shown = Self.isIBAN(s, annotations, c.path) ? Self.grouped(s) : PolicyFormatter.quote(s)
            mention(c.constant.cedar, shown: shown)
            return phrases(c.relation == .eq ? .clauseIs : .clauseIsNot, ["subject": subject(c.path), "value": shown])
        case .entity(let u):
            guard c.relation == .eq || c.relation == .notEq else { return nil }
            let shown = entity(u)
            return phrases(c.relation == .eq ? .clauseIs : .clauseIsNot, ["subject": subject(c.path), "value": shown])
        case .long(let v):
            mention(c.constant.cedar, shown: String(v))
            return phrases(c.relation.quantity, ["subject": subject(c.path), "value": String(v)])
        case .decimal(let s):
            mention(c.constant.cedar, shown: s)
            return phrases(c.relation.quantity, ["subject": subject(c.path), "value": s])
        case .ip(let s):
            guard c.relation == .eq || c.relation == .notEq else { return nil }
            mention(c.constant.cedar, shown: s)
            return phrases(c.relation == .eq ? .clauseAddress : .clauseNotAddress, ["subject": subject(c.path), "value": s])
        case .datetime(_, let ms):
            guard let when = Self.date(ms, phrases) else { return nil }
            mention(c.constant.cedar, shown: when)
            let isClock = c.path.root == .context && c.path.names == ["now"]
            return phrases(c.relation.time(clock: isClock), ["subject": isClock ? "" : subject(c.path), "when": when])
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
        var subject: String?
        switch path.root {
        case .resource: subject = part(scope.resource.map(labels.entityType) ?? phrases(.subjectResource))
        case .principal: subject = part(scope.principal.map(labels.entityType) ?? phrases(.subjectPrincipal))
        default: break
        }
        for n in path.names {
            let (annotations, next) = labels.attribute(n, of: type)
            let attribute = part(labels.label(annotations, fallback: n))
            subject = subject.map { phrases(.subjectOf, ["attribute": attribute, "owner": $0]) } ?? attribute
            type = next
        }
        return subject ?? ""
    }

    /// One attribute or entity of a subject ("the IBAN").
    private func part(_ label: String) -> String {
        phrases(.subjectAttribute, ["label": label])
    }

    /// A `like` pattern as written in Cedar (`"*x*"`, a literal `*` escaped).
    static func patternLiteral(_ p: Pattern) -> String {
        let text = PolicyFormatter.expression(.like(.variable(.context), p))
        return String(text.dropFirst("context like ".count))
    }

    // MARK: - Code

    /// Records every constant of an expression shown as code (its Cedar form is what is shown).
    mutating func mentionAll(_ e: Expr) {
        if mentionConstant(e) { return }
        switch e {
        case .literal(let v): mentionLiteral(v)
        case .variable, .slot: break
        case .not(let a), .negate(let a), .isEmpty(let a), .getAttr(let a, _), .hasAttr(let a, _), .isType(let a, _):
            mentionAll(a)
        case .like(let a, let p):
            mentionAll(a)
            mentionPattern(p)
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

    // Kept out of ``mentionAll(_:)``, which recurses once per level: in a debug build a function
    // reserves stack for the locals of all its cases.

    /// Records `e` if it is a ``Constant``; returns whether it was.
    private mutating func mentionConstant(_ e: Expr) -> Bool {
        guard let c = Constant(e) else { return false }
        if case .entity(let u) = c {
            mention(u.description, shown: u.description)
        } else {
            mention(c.cedar, shown: c.cedar)
        }
        return true
    }

    /// A literal's constants (strings, numbers and entities were handled as ``Constant``s).
    private mutating func mentionLiteral(_ v: CedarValue) {
        switch v {
        case .string, .long, .entity, .bool: break
        case .extensionValue: mention(v.description, shown: v.description)
        case .set(let items): for i in items { mentionAll(.literal(i)) }
        case .record(let fields): for f in fields.values { mentionAll(.literal(f)) }
        }
    }

    private mutating func mentionPattern(_ p: Pattern) {
        let quoted = Self.patternLiteral(p)
        mention(quoted, shown: quoted)
    }
}
