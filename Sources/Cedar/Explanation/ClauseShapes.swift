/// The condition shapes ``PolicyExplainer`` puts into words: attribute paths, constants, and
/// comparisons between them. Anything that does not match one of these is shown as code.
extension ExplanationContext {
    /// An attribute path rooted at a request variable: `context.instructedAmount.amount`.
    struct Path: Hashable {
        var root: Variable
        var names: [String]

        /// Walks the path iteratively: an attribute chain is as long as the policy is deep.
        init?(_ e: Expr) {
            var reversed: [String] = []
            var current = e
            while case .getAttr(let base, let name) = current {
                reversed.append(name.value)
                current = base
            }
            guard case .variable(let v) = current, v != .action else { return nil }
            root = v
            names = reversed.reversed()
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
        var quantity: ExplanationPhrases.ID {
            switch self {
            case .eq: .quantityEq
            case .notEq: .quantityNotEq
            case .less: .quantityLess
            case .lessEq: .quantityLessEq
            case .greater: .quantityGreater
            case .greaterEq: .quantityGreaterEq
            }
        }

        /// "until …" for the clock (`context.now`), "is before …" for any other datetime.
        func time(clock: Bool) -> ExplanationPhrases.ID {
            switch self {
            case .eq: clock ? .clockEq : .timeEq
            case .notEq: clock ? .clockNotEq : .timeNotEq
            case .less: clock ? .clockLess : .timeLess
            case .lessEq: clock ? .clockLessEq : .timeLessEq
            case .greater: clock ? .clockGreater : .timeGreater
            case .greaterEq: clock ? .clockGreaterEq : .timeGreaterEq
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
}
