extension Parser {
    /// Nesting (parentheses, brackets, `if`, arguments) is bounded by ``Parser/maxDepth``; the
    /// operands of left-associative chains (`a || b || …`, `a + b + …`, `a.b.c…`) are counted
    /// separately, up to ``Parser/maxChain``, and each parsed policy is then refused when deeper
    /// than ``Policy/maximumExpressionDepth``, which bounds every recursion over the AST.
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

    // The functions below recurse once per level of nesting. In a debug build every function
    // reserves stack for all its locals (those of every branch, and each error message's), so the
    // recursive ones are kept small and everything else is in functions of its own: that is what
    // lets the deepest input the guards accept parse on a 512 KiB thread (docs/cedar.md, "Limits").

    mutating func parseExpr() throws(SyntaxError) -> Expr {
        try enter()
        defer { depth -= 1 }
        if isIdent("if") { return try parseIf() }
        return try parseOr()
    }

    private mutating func parseIf() throws(SyntaxError) -> Expr {
        bump()
        let c = try parseExpr()
        try expectIdent("then")
        let t = try parseExpr()
        try expectIdent("else")
        let e = try parseExpr()
        return .ifThenElse(c, t, e)
    }

    private mutating func expectIdent(_ word: String) throws(SyntaxError) {
        guard isIdent(word) else { throw unexpected("`\(word)`") }
        bump()
    }

    // A `||` or `&&` chain becomes one n-ary node (``Expr/disjunction(_:)``): one level of
    // nesting however many operands it has, as in the reference.
    private mutating func parseOr() throws(SyntaxError) -> Expr {
        var operands = [try parseAnd()]
        let saved = chain
        defer { chain = saved }
        while try nextOperator("||") { operands.append(try parseAnd()) }
        return .disjunction(operands)
    }

    private mutating func parseAnd() throws(SyntaxError) -> Expr {
        var operands = [try parseRelation()]
        let saved = chain
        defer { chain = saved }
        while try nextOperator("&&") { operands.append(try parseRelation()) }
        return .conjunction(operands)
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
        guard let result = try parseRelationTail(lhs) else { return lhs }
        if atRelationalOperator { throw Self.chainedRelation(at: current.location) }
        return result
    }

    /// The relation after its left operand, or `nil` when none follows.
    private mutating func parseRelationTail(_ lhs: Expr) throws(SyntaxError) -> Expr? {
        switch relationKind() {
        case .comparison(let op): return try parseComparison(op, lhs)
        case .singleEquals: throw Self.singleEquals(at: current.location)
        case .has: return try parseHasTail(lhs)
        case .like: return try parseLike(lhs)
        case .is: return try parseIsTail(lhs)
        case .none: return nil
        }
    }

    private enum Relation {
        case comparison(BinaryOp)
        case singleEquals, has, like, `is`, none
    }

    private func relationKind() -> Relation {
        if let op = relationalOperator() { return .comparison(op) }
        if isPunct("=") { return .singleEquals }
        if isIdent("in") { return .comparison(.in) }
        if isIdent("has") { return .has }
        if isIdent("like") { return .like }
        if isIdent("is") { return .is }
        return .none
    }

    private mutating func parseComparison(_ op: BinaryOp, _ lhs: Expr) throws(SyntaxError) -> Expr {
        bump()
        return .binary(op, lhs, try parseAdd())
    }

    private mutating func parseHasTail(_ lhs: Expr) throws(SyntaxError) -> Expr {
        bump()
        return try parseHas(lhs)
    }

    private mutating func parseLike(_ lhs: Expr) throws(SyntaxError) -> Expr {
        bump()
        return .like(lhs, try parseLikePattern())
    }

    private mutating func parseIsTail(_ lhs: Expr) throws(SyntaxError) -> Expr {
        bump()
        return try parseIs(lhs)
    }

    private func relationalOperator() -> BinaryOp? {
        if case .punct(let p) = current.kind { return Self.relOps[p] }
        return nil
    }

    private static func chainedRelation(at location: SourceLocation) -> SyntaxError {
        SyntaxError(
            message: "multiple relational operators (>, ==, in, etc.) must be used with parentheses to make ordering explicit",
            location: location
        )
    }

    private static func singleEquals(at location: SourceLocation) -> SyntaxError {
        SyntaxError(message: "'=' is not a valid operator in Cedar; use '=='", location: location)
    }

    private mutating func parseLikePattern() throws(SyntaxError) -> Pattern {
        guard case .string(let raw) = current.kind else {
            throw SyntaxError(message: "the right side of `like` must be a string literal pattern", location: current.location)
        }
        let pattern = try unescapePattern(raw, at: current.location)
        bump()
        return pattern
    }

    private mutating func parseIs(_ lhs: Expr) throws(SyntaxError) -> Expr {
        guard case .identifier = current.kind else {
            throw SyntaxError(message: "the right side of `is` must be an entity type name", location: current.location)
        }
        let type = try parseTypePath()
        guard isIdent("in") else { return .isType(lhs, type) }
        bump()
        return .isIn(lhs, type, try parseAdd())
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
            result = .conjunction([result, .hasAttr(base, CedarString(names[i]))])
        }
        return result
    }

    private mutating func parseAdd() throws(SyntaxError) -> Expr {
        var lhs = try parseMult()
        let saved = chain
        defer { chain = saved }
        while let op = try nextAdditiveOperator() { lhs = .binary(op, lhs, try parseMult()) }
        return lhs
    }

    private mutating func parseMult() throws(SyntaxError) -> Expr {
        var lhs = try parseUnary()
        let saved = chain
        defer { chain = saved }
        while try nextMultiplicativeOperator() { lhs = .binary(.mul, lhs, try parseUnary()) }
        return lhs
    }

    /// Consumes operator `p` of a chain (counting the operand that follows), or returns `false`.
    private mutating func nextOperator(_ p: String) throws(SyntaxError) -> Bool {
        guard isPunct(p) else { return false }
        bump()
        try enterChain()
        return true
    }

    private mutating func nextAdditiveOperator() throws(SyntaxError) -> BinaryOp? {
        let op: BinaryOp
        if isPunct("+") { op = .add } else if isPunct("-") { op = .sub } else { return nil }
        bump()
        try enterChain()
        return op
    }

    private mutating func nextMultiplicativeOperator() throws(SyntaxError) -> Bool {
        guard isPunct("*") || isPunct("/") || isPunct("%") else { return false }
        try refuseDivision()
        bump()
        try enterChain()
        return true
    }

    private func refuseDivision() throws(SyntaxError) {
        if isPunct("/") { throw SyntaxError(message: "division is not supported", location: current.location) }
        if isPunct("%") { throw SyntaxError(message: "remainder/modulo is not supported", location: current.location) }
    }

    private mutating func parseUnary() throws(SyntaxError) -> Expr {
        guard atUnaryOperator() else { return try parseMember() }
        return try parsePrefixed()
    }

    private func atUnaryOperator() -> Bool { isPunct("!") || isPunct("-") }

    /// `!…` or `-…`: the operators, then the operand.
    private mutating func parsePrefixed() throws(SyntaxError) -> Expr {
        let (not, count) = try parseUnaryOperators()
        var expr: Expr
        var remaining = count
        if !not, let literal = try parseNegativeLiteral() {
            expr = literal
            remaining -= 1
        } else {
            expr = try parseMember()
        }
        for _ in 0..<remaining { expr = not ? .not(expr) : .negate(expr) }
        return expr
    }

    /// A run of `!` or of `-` (at most 4, as the reference): whether it is `!`, and how many.
    private mutating func parseUnaryOperators() throws(SyntaxError) -> (not: Bool, count: Int) {
        let symbol = isPunct("!") ? "!" : "-"
        let location = current.location
        var count = 0
        while isPunct(symbol) {
            count += 1
            bump()
        }
        if count > 4 { throw SyntaxError(message: "too many occurrences of `\(symbol)`", location: location) }
        if isPunct("!") || isPunct("-") { throw unexpected("an expression") }
        return (symbol == "!", count)
    }

    /// After a `-`: an integer literal not followed by `.` or `[` is a negative literal.
    private mutating func parseNegativeLiteral() throws(SyntaxError) -> Expr? {
        guard case .integer(let digits) = current.kind, !isAccess(peekKind(1)) else { return nil }
        let value = try integer(digits, negated: true)
        bump()
        return .literal(.long(value))
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
            switch accessKind() {
            case .dot: expr = try parseDotAccess(expr)
            case .index: expr = try parseIndexAccess(expr)
            case .none: return expr
            }
        }
    }

    private enum Access { case dot, index, none }

    private func accessKind() -> Access { isPunct(".") ? .dot : isPunct("[") ? .index : .none }

    /// `.name` or `.method(args)` applied to `expr`.
    private mutating func parseDotAccess(_ expr: Expr) throws(SyntaxError) -> Expr {
        bump()
        guard case .identifier(let name) = current.kind else { throw unexpected("an attribute or method name") }
        let nameLocation = current.location
        bump()
        try enterChain()
        if isPunct("(") {
            bump()
            let args = try parseArguments()
            return try methodCall(expr, name, args, nameLocation)
        }
        try checkName(name)
        return .getAttr(expr, CedarString(name))
    }

    /// `["key"]` applied to `expr`.
    private mutating func parseIndexAccess(_ expr: Expr) throws(SyntaxError) -> Expr {
        bump()
        guard case .string(let raw) = current.kind else {
            throw SyntaxError(message: "the index in `[ ]` must be a string literal", location: current.location)
        }
        let key = try unescape(raw, at: current.location)
        bump()
        try expectPunct("]")
        try enterChain()
        return .getAttr(expr, CedarString(key))
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
        switch primaryKind() {
        case .literal: return try parseLiteralToken()
        case .parenthesized: return try parseParenthesized()
        case .set: return try parseSetLiteral()
        case .record: return try parseRecordLiteral()
        case .named: return try parseNamed()
        case .none: throw unexpected("an expression")
        }
    }

    private enum Primary { case literal, parenthesized, set, record, named, none }

    private func primaryKind() -> Primary {
        switch current.kind {
        case .integer, .string, .slot: .literal
        case .punct("("): .parenthesized
        case .punct("["): .set
        case .punct("{"): .record
        case .identifier: .named
        default: .none
        }
    }

    private mutating func parseLiteralToken() throws(SyntaxError) -> Expr {
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
        default:
            throw unexpected("an expression")
        }
    }

    private mutating func parseParenthesized() throws(SyntaxError) -> Expr {
        bump()
        try enter()
        defer { depth -= 1 }
        let e = try parseExpr()
        try expectPunct(")")
        return e
    }

    private mutating func parseSetLiteral() throws(SyntaxError) -> Expr {
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
    }

    private mutating func parseRecordLiteral() throws(SyntaxError) -> Expr {
        bump()
        try enter()
        defer { depth -= 1 }
        var fields: [RecordField] = []
        while !isPunct("}") {
            let keyLocation = current.location
            let key = try parseRecordKey()
            try expectPunct(":")
            let value = try parseExpr()
            try addField(&fields, key, value, keyLocation)
            if isPunct(",") { bump() } else { break }
        }
        try expectPunct("}")
        return .record(fields)
    }

    private mutating func parseRecordKey() throws(SyntaxError) -> String {
        let key: String
        switch current.kind {
        case .identifier(let k):
            try checkName(k)
            key = k
        case .string(let raw):
            key = try unescape(raw, at: current.location)
        default:
            throw unexpected("a record key")
        }
        bump()
        return key
    }

    private func addField(_ fields: inout [RecordField], _ key: String, _ value: Expr, _ location: SourceLocation) throws(SyntaxError) {
        let k = CedarString(key)
        if fields.contains(where: { $0.key == k }) {
            throw SyntaxError(message: "duplicate key `\(key)` in record literal", location: location)
        }
        fields.append(RecordField(key: k, value: value))
    }

    /// What starts with a name: `true`/`false`, a variable, an entity literal or a function call.
    private mutating func parseNamed() throws(SyntaxError) -> Expr {
        switch try parseNameOrFunction() {
        case .expr(let e): return e
        case .function(let name, let location):
            bump()
            let args = try parseArguments()
            return try Self.functionCall(name, args, location)
        }
    }

    private enum Named {
        case expr(Expr)
        /// A function's name, before its `(`.
        case function(String, SourceLocation)
    }

    private mutating func parseNameOrFunction() throws(SyntaxError) -> Named {
        let location = current.location
        guard case .identifier(let name) = current.kind else { throw unexpected("an expression") }
        if name == "true" || name == "false" {
            bump()
            return .expr(.literal(.bool(name == "true")))
        }
        if let v = Variable(rawValue: name), peekKind(1) != .punct("::") {
            bump()
            return .expr(.variable(v))
        }
        if name == "if" {
            throw SyntaxError(message: "`if` expressions must be enclosed in parentheses here", location: location)
        }
        let (path, id) = try parsePathMaybeEntity()
        if let id {
            return .expr(.literal(.entity(EntityUID(type: EntityType(path.joined(separator: "::")), id: CedarString(id)))))
        }
        let joined = path.joined(separator: "::")
        guard isPunct("(") else { throw SyntaxError(message: "invalid variable: \(joined)", location: location) }
        return .function(joined, location)
    }

    private static func functionCall(_ name: String, _ args: [Expr], _ location: SourceLocation) throws(SyntaxError) -> Expr {
        guard let fn = ExtensionFunction(rawValue: name) else {
            throw SyntaxError(message: "`\(name)` is not a valid function", location: location)
        }
        guard fn.isConstructor else {
            throw SyntaxError(message: "`\(name)` is a method, not a function", location: location)
        }
        return .call(fn, args)
    }
}
