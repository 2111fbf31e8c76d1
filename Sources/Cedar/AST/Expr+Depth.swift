extension Expr {
    /// The sub-expressions one level below this node, in source order.
    var children: [Expr] {
        switch self {
        case .literal, .variable, .slot:
            return []
        case .not(let x), .negate(let x), .getAttr(let x, _), .hasAttr(let x, _), .like(let x, _), .isType(let x, _),
            .isEmpty(let x):
            return [x]
        case .and(let a, let b), .or(let a, let b), .binary(_, let a, let b), .isIn(let a, _, let b):
            return [a, b]
        case .ifThenElse(let c, let t, let f):
            return [c, t, f]
        case .set(let items), .call(_, let items), .allOf(let items), .anyOf(let items):
            return items
        case .record(let fields):
            return fields.map(\.value)
        case .steps(let base, let steps):
            var all = [base]
            for step in steps {
                switch step {
                case .binary(_, let x): all.append(x)
                case .call(_, let args): all.append(contentsOf: args)
                case .getAttr, .hasAttr, .like, .isType, .isEmpty: break
                }
            }
            return all
        }
    }

    /// How many nodes deep the tree is (a leaf is 1): the recursion depth a walker that recurses
    /// once per node needs. `a + b + c` is 3 deep, `a.b.c` 3, `(a && b) && c` 3.
    ///
    /// Computed with an explicit stack, so measuring a tree never needs more stack than a
    /// constant: this is what lets a caller refuse a tree before a recursive walker sees it.
    var depth: Int {
        var deepest = 0
        var pending: [(Expr, Int)] = [(self, 1)]
        while let (expr, level) = pending.popLast() {
            deepest = max(deepest, level)
            for child in expr.children { pending.append((child, level + 1)) }
        }
        return deepest
    }
}

extension Policy {
    /// The depth of the deepest `when`/`unless` condition (see ``Expr/depth``), 0 for a policy
    /// without conditions. Operator chains (`a + b + …`, `a && b && …`), attribute and method
    /// chains (`a.b.c…`, `a.f().g()…`) count one level per operand, as nesting does.
    ///
    /// The validator, ``PolicyFormatter``, the explainer and the JSON policy writer recurse once
    /// per level, so a service that accepts policies from untrusted parties bounds this before it
    /// hands a policy to them (docs/cedar.md, "Limits").
    public var expressionDepth: Int {
        conditions.map(\.body.depth).max() ?? 0
    }
}
