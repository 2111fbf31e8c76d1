/// Prints policies in Cedar syntax. The output re-parses to the same AST (the formatter is the
/// parser's inverse): parentheses are added exactly where precedence requires them.
public enum PolicyFormatter {
    /// Formats every policy and template of a set, in source order (static then templates for JSON input).
    public static func format(_ set: PolicySet) -> String {
        var all = set.staticPolicies + set.templates
        if all.allSatisfy({ $0.location != nil }) {
            all.sort { ($0.location?.line ?? 0, $0.location?.column ?? 0) < ($1.location?.line ?? 0, $1.location?.column ?? 0) }
        }
        return all.map(format).joined(separator: "\n\n") + (all.isEmpty ? "" : "\n")
    }

    /// Formats one policy or template.
    public static func format(_ policy: Policy) -> String {
        var out = ""
        for a in policy.annotations { out += a.hasValue ? "@\(a.key)(\(quote(a.value)))\n" : "@\(a.key)\n" }
        out += "\(policy.effect.rawValue) (\n"
        out += "  \(scope("principal", policy.principal)),\n"
        out += "  \(actionScope(policy.action)),\n"
        out += "  \(scope("resource", policy.resource))\n)"
        for c in policy.conditions {
            out += "\n\(c.isWhen ? "when" : "unless") { \(expression(c.body)) }"
        }
        return out + ";"
    }

    /// Quotes a string as a Cedar string literal.
    public static func quote(_ s: String) -> String {
        "\"" + escape(s.unicodeScalars.map { PatternElement.literal($0) }, pattern: false) + "\""
    }

    static func scope(_ name: String, _ c: ScopeConstraint) -> String {
        func ref(_ r: EntityReference) -> String {
            switch r {
            case .entity(let e): e.description
            case .slot(let s): s.rawValue
            }
        }
        switch c {
        case .any: return name
        case .equals(let r): return "\(name) == \(ref(r))"
        case .in(let r): return "\(name) in \(ref(r))"
        case .is(let t): return "\(name) is \(t.name)"
        case .isIn(let t, let r): return "\(name) is \(t.name) in \(ref(r))"
        }
    }

    static func actionScope(_ c: ActionConstraint) -> String {
        switch c {
        case .any: "action"
        case .equals(let e): "action == \(e)"
        case .in(let e): "action in \(e)"
        case .inSet(let list): "action in [\(list.map(\.description).joined(separator: ", "))]"
        }
    }

    private static func escape(_ elements: [PatternElement], pattern: Bool) -> String {
        var out = ""
        for el in elements {
            switch el {
            case .wildcard: out += "*"
            case .literal(let c):
                switch c {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\0": out += "\\0"
                case "*" where pattern: out += "\\*"
                default:
                    if c.value < 0x20 || c.value == 0x7F || c.properties.isWhitespace && c != " " {
                        out += "\\u{\(String(c.value, radix: 16))}"
                    } else {
                        out.unicodeScalars.append(c)
                    }
                }
            }
        }
        return out
    }

    // MARK: - Expressions

    private static func precedence(_ e: Expr) -> Int {
        switch e {
        case .ifThenElse: 1
        case .or, .anyOf: 2
        case .and, .allOf: 3
        case .binary(let op, _, _):
            switch op {
            case .add, .sub: 5
            case .mul: 6
            case .contains, .containsAll, .containsAny, .hasTag, .getTag: 8
            default: 4
            }
        case .hasAttr, .like, .isType, .isIn: 4
        case .not, .negate: 7
        case .literal(.long(let v)) where v < 0: 7
        case .getAttr, .isEmpty: 8
        case .call(let fn, _): fn.isConstructor ? 9 : 8
        case .steps: precedence(Compiler.expand(e))
        default: 9
        }
    }

    static func expression(_ e: Expr, _ minimum: Int = 1) -> String {
        let text = render(e)
        return precedence(e) < minimum ? "(" + text + ")" : text
    }

    private static func name(_ key: CedarString) -> String? {
        Lexer.isUsableName(key.value) ? key.value : nil
    }

    // Every case with text to build has a function of its own: in a debug build a function
    // reserves stack for the locals of all its cases, and `render` recurses once per level.
    private static func render(_ e: Expr) -> String {
        switch e {
        case .steps: return render(Compiler.expand(e))
        case .allOf(let items): return chain(items, 3, " && ", 4)
        case .anyOf(let items): return chain(items, 2, " || ", 3)
        case .literal(let v): return literal(v)
        case .variable(let v): return v.rawValue
        case .slot(let s): return s.rawValue
        case .not(let a): return "!" + expression(a, 8)
        case .negate(let a): return negate(a)
        case .and(let a, let b): return infix(a, 3, " && ", b, 4)
        case .or(let a, let b): return infix(a, 2, " || ", b, 3)
        case .ifThenElse(let c, let t, let f): return ifThenElse(c, t, f)
        case .binary(let op, let a, let b): return binary(op, a, b)
        case .getAttr(let a, let k): return getAttr(a, k)
        case .hasAttr(let a, let k): return expression(a, 5) + " has " + (name(k) ?? quote(k.value))
        case .like(let a, let p): return like(a, p)
        case .isType(let a, let t): return expression(a, 5) + " is " + t.name
        case .isIn(let a, let t, let x): return infix(a, 5, " is " + t.name + " in ", x, 5)
        case .isEmpty(let a): return expression(a, 8) + ".isEmpty()"
        case .set(let items): return set(items)
        case .record(let fields): return record(fields)
        case .call(let fn, let args): return call(fn, args)
        }
    }

    private static func infix(_ a: Expr, _ left: Int, _ op: String, _ b: Expr, _ right: Int) -> String {
        let lhs = expression(a, left)
        return lhs + op + expression(b, right)
    }

    /// A flat chain, printed as the left-nested binary operators it stands for: the first operand
    /// at the `left` precedence, the others at `right` (one loop, however many operands).
    private static func chain(_ items: [Expr], _ left: Int, _ op: String, _ right: Int) -> String {
        var out = ""
        for (n, item) in items.enumerated() {
            if n > 0 { out += op }
            out += expression(item, n == 0 ? left : right)
        }
        return out
    }

    private static func negate(_ a: Expr) -> String {
        if case .literal(.long) = a { return "-(" + render(a) + ")" }
        return "-" + expression(a, 8)
    }

    private static func ifThenElse(_ c: Expr, _ t: Expr, _ f: Expr) -> String {
        let condition = expression(c)
        let then = expression(t)
        return "if " + condition + " then " + then + " else " + expression(f)
    }

    private static func binary(_ op: BinaryOp, _ a: Expr, _ b: Expr) -> String {
        switch op {
        case .add, .sub: return infix(a, 5, " " + op.rawValue + " ", b, 6)
        case .mul: return infix(a, 6, " * ", b, 7)
        case .contains, .containsAll, .containsAny, .hasTag, .getTag:
            return infix(a, 8, "." + op.rawValue + "(", b, 1) + ")"
        default: return infix(a, 5, " " + op.rawValue + " ", b, 5)
        }
    }

    private static func getAttr(_ a: Expr, _ k: CedarString) -> String {
        if let n = name(k) { return expression(a, 8) + "." + n }
        return expression(a, 8) + "[" + quote(k.value) + "]"
    }

    private static func like(_ a: Expr, _ p: Pattern) -> String {
        expression(a, 5) + " like \"" + escape(p.elements, pattern: true) + "\""
    }

    private static func set(_ items: [Expr]) -> String {
        "[" + items.map { expression($0) }.joined(separator: ", ") + "]"
    }

    private static func record(_ fields: [RecordField]) -> String {
        "{" + fields.map { (name($0.key) ?? quote($0.key.value)) + ": " + expression($0.value) }.joined(separator: ", ") + "}"
    }

    private static func call(_ fn: ExtensionFunction, _ args: [Expr]) -> String {
        if fn.isConstructor || args.isEmpty {
            return fn.rawValue + "(" + args.map { expression($0) }.joined(separator: ", ") + ")"
        }
        let rest = args.dropFirst().map { expression($0) }.joined(separator: ", ")
        return expression(args[0], 8) + "." + fn.rawValue + "(" + rest + ")"
    }

    private static func literal(_ v: CedarValue) -> String {
        switch v {
        case .set(let s): return "[" + s.map(literal).sorted().joined(separator: ", ") + "]"
        case .record(let r):
            return "{"
                + r.sorted { $0.key < $1.key }.map { "\(name($0.key) ?? quote($0.key.value)): \(literal($0.value))" }
                .joined(separator: ", ") + "}"
        default: return v.description
        }
    }
}
