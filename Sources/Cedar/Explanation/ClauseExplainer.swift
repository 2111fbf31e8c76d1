/// Conditions into clauses (``PolicyExplainer``): a `when`/`unless` body split on `&&`, each
/// conjunct put into words when it has a recognized shape, shown as code otherwise.
extension ExplanationContext {
    /// An attribute path rooted at a request variable: `context.instructedAmount.amount`.
    struct Path: Hashable {
        var root: Variable
        var names: [String]

        init?(_ e: Expr) {
            switch e {
            case .getAttr(let base, let name):
                guard let p = Path(base) else { return nil }
                self = p
                names.append(name.value)
            case .variable(let v) where v != .action:
                root = v
                names = []
            default: return nil
            }
        }

        var parent: Path { Path(root: root, names: Array(names.dropLast())) }
        private init(root: Variable, names: [String]) {
            self.root = root
            self.names = names
        }
    }

    /// A constant operand: a literal or an extension constructor applied to a string literal.
    enum Constant {
        case string(String)
        case long(Int64)
        case entity(EntityUID)
        case decimal(String)
        case datetime(String, Int64)
        case ip(String)

        init?(_ e: Expr) {
            switch e {
            case .literal(.string(let s)): self = .string(s.value)
            case .literal(.long(let v)): self = .long(v)
            case .literal(.entity(let u)): self = .entity(u)
            case .call(let fn, let args) where args.count == 1:
                guard case .literal(.string(let str)) = args[0] else { return nil }
                let s = str.value
                switch fn {
                case .decimal:
                    guard case .success = DecimalExtension.parse(s) else { return nil }
                    self = .decimal(s)
                case .datetime:
                    guard case .success(let ms) = DatetimeExtension.parseDatetime(s) else { return nil }
                    self = .datetime(s, ms)
                case .ip:
                    guard IPAddress(parsing: s) != nil else { return nil }
                    self = .ip(s)
                default: return nil
                }
            default: return nil
            }
        }

        var cedar: String {
            switch self {
            case .string(let s): PolicyFormatter.quote(s)
            case .long(let v): String(v)
            case .entity(let u): u.description
            case .decimal(let s): "decimal(\(PolicyFormatter.quote(s)))"
            case .datetime(let s, _): "datetime(\(PolicyFormatter.quote(s)))"
            case .ip(let s): "ip(\(PolicyFormatter.quote(s)))"
            }
        }
    }

    /// The comparison a clause states, from the attribute's point of view.
    enum Relation {
        case eq, notEq, less, lessEq, greater, greaterEq

        var flipped: Relation {
            switch self {
            case .less: .greater
            case .lessEq: .greaterEq
            case .greater: .less
            case .greaterEq: .lessEq
            default: self
            }
        }

        init?(_ op: BinaryOp) {
            switch op {
            case .eq: self = .eq
            case .notEq: self = .notEq
            case .less: self = .less
            case .lessEq: self = .lessEq
            case .greater: self = .greater
            case .greaterEq: self = .greaterEq
            default: return nil
            }
        }

        init?(_ fn: ExtensionFunction) {
            switch fn {
            case .lessThan: self = .less
            case .lessThanOrEqual: self = .lessEq
            case .greaterThan: self = .greater
            case .greaterThanOrEqual: self = .greaterEq
            default: return nil
            }
        }

        /// "is exactly", "is at most", … for numbers and amounts.
        var quantity: String {
            switch self {
            case .eq: "is exactly"
            case .notEq: "is not"
            case .less: "is less than"
            case .lessEq: "is at most"
            case .greater: "is more than"
            case .greaterEq: "is at least"
            }
        }
    }

    /// `subject op constant` in either order, or a comparison method call on the subject.
    struct Comparison {
        var path: Path
        var relation: Relation
        var constant: Constant

        init?(_ e: Expr) {
            switch e {
            case .binary(let op, let a, let b):
                guard let r = Relation(op) else { return nil }
                if let p = Path(a), let c = Constant(b) {
                    (path, relation, constant) = (p, r, c)
                } else if let p = Path(b), let c = Constant(a) {
                    (path, relation, constant) = (p, r.flipped, c)
                } else {
                    return nil
                }
            case .call(let fn, let args) where args.count == 2:
                // The comparison methods are `decimal`'s (datetimes compare with operators).
                guard let r = Relation(fn), let p = Path(args[0]), let c = Constant(args[1]), case .decimal = c else { return nil }
                (path, relation, constant) = (p, r, c)
            default: return nil
            }
            guard !path.names.isEmpty else { return nil }
        }
    }

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
            if let amount = amountPair(i, comparisons, consumed) {
                consumed.formUnion([amount.amount, amount.currency])
                out.append(.text(amountText(comparisons[amount.amount]!, comparisons[amount.currency]!)))
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
    /// conjuncts (one of them at `i`).
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
        for (j, other) in comparisons.enumerated() where j != i && !consumed.contains(j) {
            guard let other, other.path.parent == c.path.parent, other.path.names.count > 1 else { continue }
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

    // MARK: - Values

    static func isIBAN(_ s: String, _ annotations: [String: String], _ path: Path) -> Bool {
        guard annotations["format"]?.lowercased() == "iban" || path.names.last?.lowercased() == "iban" else { return false }
        return (15...34).contains(s.count) && s.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }

    /// `DE02100100109307118603` → `DE02 1001 0010 9307 1186 03`.
    static func grouped(_ s: String) -> String {
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && i % 4 == 0 { out += " " }
            out.append(c)
        }
        return out
    }

    static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]

    /// "6 December 2026, 18:00 UTC" (seconds and milliseconds when not zero); `nil` outside years 0…9999.
    static func date(_ ms: Int64) -> String? {
        guard DatetimeExtension.isFormattable(ms) else { return nil }
        let days = DatetimeExtension.floorDiv(ms, DatetimeExtension.msPerDay)
        let rem = ms - days * DatetimeExtension.msPerDay
        let (y, m, d) = DatetimeExtension.civilFromDays(days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var time = "\(two(rem / 3_600_000)):\(two(rem / 60_000 % 60))"
        if rem % 60_000 != 0 { time += ":\(two(rem / 1000 % 60))" }
        if rem % 1000 != 0 {
            let millis = rem % 1000
            time += "." + (millis < 10 ? "00" : millis < 100 ? "0" : "") + "\(millis)"
        }
        return "\(d) \(months[Int(m) - 1]) \(y), \(time) UTC"
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
