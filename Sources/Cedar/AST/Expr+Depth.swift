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
    /// once per node needs. `a + b + c` is 3 deep, `a.b.c` 3; a flat `a && b && c` (one n-ary
    /// node, see ``conjunction(_:)``) 2, however many operands it has; `a && (b && c)` 3.
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
    /// The deepest condition the library accepts (see ``expressionDepth``), in Cedar text, in the
    /// JSON policy format and in a ``PolicyCondition``.
    ///
    /// Every policy the library holds was built by one of those readers (the AST is internal), so
    /// every public entry that walks a policy — ``Authorizer``, `Validator`, ``PolicyFormatter``,
    /// ``PolicyExplainer``, ``PolicySet/jsonString(pretty:)`` — sees at most this depth, and at this
    /// depth each of them runs on a 512 KiB secondary-thread stack in a debug build
    /// (`LibraryDepthTests`, `NestingGuardTests`). A flat `a && b && …` or `a || b || …` chain is
    /// one level however long (`FlatChainTests`: 1,000 operands), as in the reference; `+`, `*`
    /// and `.` chains count one level per operand. Deeper than 100 is far beyond any policy
    /// written by hand (docs/cedar.md, "Limits").
    public static let maximumExpressionDepth = 100

    /// The depth of the deepest `when`/`unless` condition (see ``Expr/depth``), 0 for a policy
    /// without conditions. Arithmetic chains (`a + b + …`), attribute and method chains
    /// (`a.b.c…`, `a.f().g()…`) count one level per operand, as nesting does; a flat `&&` or `||`
    /// chain counts one level for all its operands. Measured
    /// without recursion, so it works on any tree.
    public var expressionDepth: Int {
        conditions.map(\.body.depth).max() ?? 0
    }

    /// Why the policy is refused for its depth, or `nil` when it is within ``maximumExpressionDepth``.
    var depthProblem: String? {
        let depth = expressionDepth
        return depth > Self.maximumExpressionDepth ? Self.depthMessage(depth) : nil
    }

    /// The message for a policy `depth` levels deep (`nil`: more than the limit, not measured).
    /// - Parameter depth: the measured depth.
    /// - Returns: the message.
    static func depthMessage(_ depth: Int?) -> String {
        let levels = depth.map { "\($0) levels deep" } ?? "more than \(maximumExpressionDepth) levels deep"
        return "the policy nests or chains its conditions \(levels); at most \(maximumExpressionDepth) are accepted "
            + "(each level of nesting and each operand of `a + b + …` or `a.b.c…` counts one; "
            + "a flat `a && b && …` or `a || b || …` chain counts one in all)"
    }
}
