extension Parser {
    /// Nesting (parentheses, brackets, `if`, arguments) is bounded by ``Parser/maxDepth``; the
    /// operands of left-associative chains (`a || b || …`, `a + b + …`, `a.b.c…`) are counted
    /// separately, up to ``Parser/maxChain``. Together they bound the AST depth, and so every
    /// recursion over it (evaluation, formatting, JSON, equality), to a few thousand levels.
    private mutating func enter() throws(SyntaxError) {
        depth += 1
        if depth > Self.maxDepth {
            throw SyntaxError(message: "expression is nested too deeply (limit \(Self.maxDepth))", location: current.location)
        }
    }

    private mutating func enterChain() throws(SyntaxError) {
        chain += 1
        if chain > Self.maxChain {
            throw SyntaxError(message: "expression chain is too long (limit \(Self.maxChain) operands)", location: current.location)
        }
    }

    // MARK: - Expressions

    mutating func parseExpr() throws(SyntaxError) -> Expr {
        try enter()
        defer { depth -= 1 }
        if isIdent("if") {
            bump()
            let c = try parseExpr()
            guard isIdent("then") else { throw unexpected("`then`") }
            bump()
            let t = try parseExpr()
            guard isIdent("else") else { throw unexpected("`else`") }
            bump()
            let e = try parseExpr()
            return .ifThenElse(c, t, e)
        }
        return try parseOr()
    }

    private mutating func parseOr() throws(SyntaxError) -> Expr {
        var lhs = try parseAnd()
        let saved = chain
        defer { chain = saved }
        while isPunct("||") {
            bump()
            try enterChain()
            lhs = .or(lhs, try parseAnd())
        }
        return lhs
    }

    private mutating func parseAnd() throws(SyntaxError) -> Expr {
        var lhs = try parseRelation()
        let saved = chain
        defer { chain = saved }
        while isPunct("&&") {
            bump()
            try enterChain()
            lhs = .and(lhs, try parseRelation())
        }
        return lhs
    }

    private static let relOps: [String: BinaryOp] = [
        "==": .eq, "!=": .notEq, "<": .less, "<=": .lessEq, ">": .greater, ">=": .greaterEq,
    ]

    private var atRelationalOperator: Bool {
        if case .punct(let p) = current.kind { return Self.relOps[p] != nil || p == "=" }
        return isIdent("in") || isIdent("has") || isIdent("like") || isIdent("is")
    }

    private mutating func parseRelation() throws(SyntaxError) -> Expr {
        let lhs = try parseAdd()
        let result: Expr
        if case .punct(let p) = current.kind, let op = Self.relOps[p] {
            bump()
            result = .binary(op, lhs, try parseAdd())
        } else if isPunct("=") {
            throw SyntaxError(message: "'=' is not a valid operator in Cedar; use '=='", location: current.location)
        } else if isIdent("in") {
            bump()
            result = .binary(.in, lhs, try parseAdd())
        } else if isIdent("has") {
            bump()
            result = try parseHas(lhs)
        } else if isIdent("like") {
            bump()
            guard case .string(let raw) = current.kind else {
                throw SyntaxError(message: "the right side of `like` must be a string literal pattern", location: current.location)
            }
            let pattern = try unescapePattern(raw, at: current.location)
            bump()
            result = .like(lhs, pattern)
        } else if isIdent("is") {
            bump()
            guard case .identifier = current.kind else {
                throw SyntaxError(message: "the right side of `is` must be an entity type name", location: current.location)
            }
            let type = try parseTypePath()
            if isIdent("in") {
                bump()
                result = .isIn(lhs, type, try parseAdd())
            } else {
                result = .isType(lhs, type)
            }
        } else {
            return lhs
        }
        if atRelationalOperator {
            throw SyntaxError(
                message: "multiple relational operators (>, ==, in, etc.) must be used with parentheses to make ordering explicit",
                location: current.location
            )
        }
        return result
    }

    private mutating func parseHas(_ lhs: Expr) throws(SyntaxError) -> Expr {
        if case .string(let raw) = current.kind {
            let key = try unescape(raw, at: current.location)
            bump()
            return .hasAttr(lhs, CedarString(key))
        }
        guard case .identifier(let first) = current.kind else {
            throw unexpected("an attribute name after `has`")
        }
        try checkName(first)
        bump()
        var names = [first]
        while isPunct("."), case .identifier(let n) = peekKind(1) {
            // The desugared test repeats every prefix of the path (`a has b && a.b has c && …`),
            // so its text (the formatter's output, the JSON policy format) grows with the square
            // of the path's length: bound it as the JSON policy format does.
            guard names.count < PolicyJSON.maxHasPath else {
                throw SyntaxError(message: "`has` path is too long (limit \(PolicyJSON.maxHasPath) attributes)", location: current.location)
            }
            bump()
            try checkName(n)
            names.append(n)
            bump()
        }
        var result = Expr.hasAttr(lhs, CedarString(names[0]))
        var base = lhs
        for i in 1..<names.count {
            base = .getAttr(base, CedarString(names[i - 1]))
            result = .and(result, .hasAttr(base, CedarString(names[i])))
        }
        return result
    }

    private mutating func parseAdd() throws(SyntaxError) -> Expr {
        var lhs = try parseMult()
        let saved = chain
        defer { chain = saved }
        while isPunct("+") || isPunct("-") {
            let op: BinaryOp = isPunct("+") ? .add : .sub
            bump()
            try enterChain()
            lhs = .binary(op, lhs, try parseMult())
        }
        return lhs
    }

    private mutating func parseMult() throws(SyntaxError) -> Expr {
        var lhs = try parseUnary()
        let saved = chain
        defer { chain = saved }
        while isPunct("*") || isPunct("/") || isPunct("%") {
            if isPunct("/") { throw SyntaxError(message: "division is not supported", location: current.location) }
            if isPunct("%") { throw SyntaxError(message: "remainder/modulo is not supported", location: current.location) }
            bump()
            try enterChain()
            lhs = .binary(.mul, lhs, try parseUnary())
        }
        return lhs
    }

    private mutating func parseUnary() throws(SyntaxError) -> Expr {
        guard isPunct("!") || isPunct("-") else { return try parseMember() }
        let symbol = isPunct("!") ? "!" : "-"
        let location = current.location
        var count = 0
        while isPunct(symbol) {
            count += 1
            bump()
        }
        if count > 4 { throw SyntaxError(message: "too many occurrences of `\(symbol)`", location: location) }
        if isPunct("!") || isPunct("-") { throw unexpected("an expression") }
        var expr: Expr
        if symbol == "-", case .integer(let digits) = current.kind, !isAccess(peekKind(1)) {
            expr = .literal(.long(try integer(digits, negated: true)))
            bump()
            count -= 1
        } else {
            expr = try parseMember()
        }
        for _ in 0..<count { expr = symbol == "!" ? .not(expr) : .negate(expr) }
        return expr
    }

    private func isAccess(_ kind: TokenKind) -> Bool { kind == .punct(".") || kind == .punct("[") }

    private func integer(_ digits: String, negated: Bool) throws(SyntaxError) -> Int64 {
        let trimmed = digits.drop { $0 == "0" }
        if let v = UInt64(trimmed.isEmpty ? "0" : String(trimmed)) {
            if negated, v == UInt64(Int64.max) + 1 { return Int64.min }
            if v <= UInt64(Int64.max) { return negated ? -Int64(v) : Int64(v) }
        }
        throw SyntaxError(message: "integer literal `\(digits)` is too large", location: current.location)
    }

    private mutating func parseMember() throws(SyntaxError) -> Expr {
        var expr = try parsePrimary()
        let saved = chain
        defer { chain = saved }
        while true {
            if isPunct(".") {
                bump()
                guard case .identifier(let name) = current.kind else { throw unexpected("an attribute or method name") }
                let nameLocation = current.location
                bump()
                try enterChain()
                if isPunct("(") {
                    bump()
                    let args = try parseArguments()
                    expr = try methodCall(expr, name, args, nameLocation)
                } else {
                    try checkName(name)
                    expr = .getAttr(expr, CedarString(name))
                }
            } else if isPunct("[") {
                bump()
                guard case .string(let raw) = current.kind else {
                    throw SyntaxError(message: "the index in `[ ]` must be a string literal", location: current.location)
                }
                let key = try unescape(raw, at: current.location)
                bump()
                try expectPunct("]")
                try enterChain()
                expr = .getAttr(expr, CedarString(key))
            } else {
                return expr
            }
        }
    }

    private mutating func methodCall(
        _ receiver: Expr,
        _ name: String,
        _ args: [Expr],
        _ location: SourceLocation
    ) throws(SyntaxError) -> Expr {
        let builtins: [String: BinaryOp] = [
            "contains": .contains, "containsAll": .containsAll, "containsAny": .containsAny,
            "hasTag": .hasTag, "getTag": .getTag,
        ]
        if let op = builtins[name] {
            guard args.count == 1 else {
                throw SyntaxError(message: "call to `\(name)` requires exactly 1 argument, but got \(args.count)", location: location)
            }
            return .binary(op, receiver, args[0])
        }
        if name == "isEmpty" {
            guard args.isEmpty else {
                throw SyntaxError(message: "call to `isEmpty` requires exactly 0 arguments, but got \(args.count)", location: location)
            }
            return .isEmpty(receiver)
        }
        guard let fn = ExtensionFunction(rawValue: name) else {
            throw SyntaxError(message: "`\(name)` is not a valid method", location: location)
        }
        if fn.isConstructor {
            throw SyntaxError(message: "`\(name)` is a function, not a method", location: location)
        }
        return .call(fn, [receiver] + args)
    }

    private mutating func parseArguments() throws(SyntaxError) -> [Expr] {
        var args: [Expr] = []
        while !isPunct(")") {
            args.append(try parseExpr())
            if isPunct(",") { bump() } else { break }
        }
        try expectPunct(")")
        return args
    }

    private mutating func parsePrimary() throws(SyntaxError) -> Expr {
        let location = current.location
        switch current.kind {
        case .integer(let digits):
            let v = try integer(digits, negated: false)
            bump()
            return .literal(.long(v))
        case .string(let raw):
            let s = try unescape(raw, at: location)
            bump()
            return .literal(.string(CedarString(s)))
        case .slot(let name):
            throw SyntaxError(
                message: "found template slot ?\(name) in a condition; slots may only appear in the scope",
                location: location
            )
        case .punct("("):
            bump()
            try enter()
            defer { depth -= 1 }
            let e = try parseExpr()
            try expectPunct(")")
            return e
        case .punct("["):
            bump()
            try enter()
            defer { depth -= 1 }
            var elements: [Expr] = []
            while !isPunct("]") {
                elements.append(try parseExpr())
                if isPunct(",") { bump() } else { break }
            }
            try expectPunct("]")
            return .set(elements)
        case .punct("{"):
            bump()
            try enter()
            defer { depth -= 1 }
            var fields: [RecordField] = []
            while !isPunct("}") {
                let keyLocation = current.location
                let key: String
                switch current.kind {
                case .identifier(let k):
                    try checkName(k)
                    key = k
                case .string(let raw):
                    key = try unescape(raw, at: keyLocation)
                default:
                    throw unexpected("a record key")
                }
                bump()
                try expectPunct(":")
                let value = try parseExpr()
                let k = CedarString(key)
                if fields.contains(where: { $0.key == k }) {
                    throw SyntaxError(message: "duplicate key `\(key)` in record literal", location: keyLocation)
                }
                fields.append(RecordField(key: k, value: value))
                if isPunct(",") { bump() } else { break }
            }
            try expectPunct("}")
            return .record(fields)
        case .identifier(let name):
            if name == "true" || name == "false" {
                bump()
                return .literal(.bool(name == "true"))
            }
            if let v = Variable(rawValue: name), peekKind(1) != .punct("::") {
                bump()
                return .variable(v)
            }
            if name == "if" {
                throw SyntaxError(message: "`if` expressions must be enclosed in parentheses here", location: location)
            }
            let (path, id) = try parsePathMaybeEntity()
            if let id {
                return .literal(.entity(EntityUID(type: EntityType(path.joined(separator: "::")), id: CedarString(id))))
            }
            let joined = path.joined(separator: "::")
            if isPunct("(") {
                bump()
                let args = try parseArguments()
                guard let fn = ExtensionFunction(rawValue: joined) else {
                    throw SyntaxError(message: "`\(joined)` is not a valid function", location: location)
                }
                guard fn.isConstructor else {
                    throw SyntaxError(message: "`\(joined)` is a method, not a function", location: location)
                }
                return .call(fn, args)
            }
            throw SyntaxError(message: "invalid variable: \(joined)", location: location)
        default:
            throw unexpected("an expression")
        }
    }
}
