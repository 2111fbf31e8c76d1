/// A syntax error at a location; internal, collected into ``CedarParseError``.
struct SyntaxError: Error {
    var message: String
    var location: SourceLocation
}

/// Recursive-descent parser for Cedar policy text (digest §2, §3).
///
/// Nesting is bounded by ``maxDepth`` so no input can overflow the stack; after an error
/// the parser skips to the next `;` and carries on, so one run reports every bad policy.
struct Parser {
    /// The deepest expression nesting accepted (parentheses, brackets, `if`, arguments). Each level
    /// of nesting is about ten recursive-descent frames, about 4 KiB of stack in a debug build, so
    /// at 64 the parser reaches this guard well within a 512 KiB thread (docs/cedar.md, "Limits");
    /// chains, parsed by loops, are bounded by ``Policy/maximumExpressionDepth`` instead.
    static let maxDepth = 64
    /// The longest left-associative chain accepted (the reference accepts 5,000-operand `||` chains).
    static let maxChain = 2500

    var tokens: [Token]
    var pos = 0
    var depth = 0
    var chain = 0

    init(tokens: [Token]) { self.tokens = tokens }

    /// Parses a policy set text into policies with ids `policy0`, `policy1`, …
    static func parsePolicies(_ text: String, filename: String?) -> Result<[Policy], CedarParseError> {
        guard text.utf8.count <= Lexer.maxSourceSize else {
            return .failure(CedarParseError(.policySyntax, "policy text is larger than \(Lexer.maxSourceSize) bytes"))
        }
        var lexer = Lexer(text)
        let tokens: [Token]
        switch lexer.tokenize() {
        case .success(let t): tokens = t
        case .failure(let d):
            return .failure(CedarParseError(.policySyntax, [Diagnostic(message: d.message, location: d.location, filename: filename)]))
        }
        var parser = Parser(tokens: tokens)
        var policies: [Policy] = []
        var diagnostics: [Diagnostic] = []
        while parser.current.kind != TokenKind.end {
            let start = parser.pos
            do throws(SyntaxError) {
                var policy = try parser.parsePolicy()
                policy.id = "policy\(policies.count)"
                // Chains are parsed by loops, so a policy can be deeper than the nesting guard:
                // measured without recursion, before anything recursive sees it.
                if let problem = policy.depthProblem {
                    diagnostics.append(Diagnostic(message: problem, location: policy.location, filename: filename))
                }
                policies.append(policy)
            } catch {
                diagnostics.append(Diagnostic(message: error.message, location: error.location, filename: filename))
                parser.depth = 0
                parser.chain = 0
                parser.recover(from: start)
            }
        }
        if !diagnostics.isEmpty { return .failure(CedarParseError(.policySyntax, diagnostics)) }
        return .success(policies)
    }

    /// Parses a single expression (for tests and tools).
    static func parseExpression(_ text: String) -> Result<Expr, CedarParseError> {
        var lexer = Lexer(text)
        switch lexer.tokenize() {
        case .failure(let d): return .failure(CedarParseError(.policySyntax, [Diagnostic(message: d.message, location: d.location)]))
        case .success(let tokens):
            var parser = Parser(tokens: tokens)
            do throws(SyntaxError) {
                let e = try parser.parseExpr()
                guard parser.current.kind == .end else { throw parser.unexpected("end of input") }
                return .success(e)
            } catch {
                return .failure(CedarParseError(.policySyntax, [Diagnostic(message: error.message, location: error.location)]))
            }
        }
    }

    // MARK: - Token helpers

    var current: Token { tokens[pos] }

    mutating func bump() {
        if pos < tokens.count - 1 { pos += 1 }
    }

    func isPunct(_ p: String) -> Bool { current.kind == .punct(p) }
    func isIdent(_ s: String) -> Bool { current.kind == .identifier(s) }

    func peekKind(_ offset: Int) -> TokenKind {
        pos + offset < tokens.count ? tokens[pos + offset].kind : .end
    }

    func unexpected(_ expected: String) -> SyntaxError {
        SyntaxError(message: "unexpected token \(current.kind.display), expected \(expected)", location: current.location)
    }

    mutating func expectPunct(_ p: String) throws(SyntaxError) {
        guard isPunct(p) else {
            if p == "==", isPunct("=") {
                throw SyntaxError(message: "'=' is not a valid operator in Cedar; use '=='", location: current.location)
            }
            throw unexpected("`\(p)`")
        }
        bump()
    }

    mutating func recover(from start: Int) {
        if pos == start { bump() }
        while current.kind != .end, !isPunct(";") { bump() }
        bump()
    }

    // MARK: - Policies

    mutating func parsePolicy() throws(SyntaxError) -> Policy {
        let location = current.location
        var annotations: [Policy.Annotation] = []
        while isPunct("@") {
            bump()
            guard case .identifier(let key) = current.kind else { throw unexpected("an annotation name") }
            let keyLocation = current.location
            bump()
            var value = ""
            var hasValue = false
            if isPunct("(") {
                hasValue = true
                bump()
                guard case .string(let raw) = current.kind else { throw unexpected("a string") }
                value = try unescape(raw, at: current.location)
                bump()
                try expectPunct(")")
            }
            if annotations.contains(where: { $0.key == key }) {
                throw SyntaxError(message: "duplicate annotation: @\(key)", location: keyLocation)
            }
            annotations.append(Policy.Annotation(key: key, value: value, hasValue: hasValue))
        }
        let effect: Policy.Effect
        if isIdent("permit") {
            effect = .permit
        } else if isIdent("forbid") {
            effect = .forbid
        } else {
            throw SyntaxError(message: "expected `permit` or `forbid`, found \(current.kind.display)", location: current.location)
        }
        bump()
        try expectPunct("(")
        let principal = try parseScopeVar(.principal)
        try expectScopeComma(next: "action")
        let action = try parseActionScope()
        try expectScopeComma(next: "resource")
        let resource = try parseScopeVar(.resource)
        if isPunct(",") { bump() }
        if isPunct(",") || current.kind.isIdentifierToken {
            throw SyntaxError(message: "unexpected extra element in the policy scope", location: current.location)
        }
        try expectPunct(")")
        var conditions: [Condition] = []
        while case .identifier(let kw) = current.kind {
            guard kw == "when" || kw == "unless" else {
                throw SyntaxError(message: "expected `when` or `unless`, found `\(kw)`", location: current.location)
            }
            bump()
            try expectPunct("{")
            if isPunct("}") {
                throw SyntaxError(message: "the body of a `\(kw)` clause may not be empty", location: current.location)
            }
            let body = try parseExpr()
            try expectPunct("}")
            conditions.append(Condition(isWhen: kw == "when", body: body))
        }
        try expectPunct(";")
        return Policy(
            id: "",
            effect: effect,
            annotations: annotations,
            principal: principal,
            action: action,
            resource: resource,
            conditions: conditions,
            location: location
        )
    }

    private mutating func expectScopeComma(next: String) throws(SyntaxError) {
        guard isPunct(",") else {
            if isPunct(")") {
                throw SyntaxError(message: "the policy scope is missing the `\(next)` element", location: current.location)
            }
            throw unexpected("`,`")
        }
        bump()
    }

    private mutating func expectVariable(_ name: String) throws(SyntaxError) {
        guard case .identifier(let found) = current.kind else { throw unexpected("`\(name)`") }
        guard found == name else {
            if ["principal", "action", "resource", "context"].contains(found) {
                throw SyntaxError(
                    message: "found the variable \(found) where the variable \(name) must be used",
                    location: current.location
                )
            }
            throw unexpected("`\(name)`")
        }
        bump()
    }

    private mutating func parseScopeVar(_ variable: Variable) throws(SyntaxError) -> ScopeConstraint {
        try expectVariable(variable.rawValue)
        let slot: SlotID = variable == .principal ? .principal : .resource
        if isPunct("==") {
            bump()
            return .equals(try parseEntityOrSlot(slot))
        }
        if isIdent("in") {
            bump()
            if isPunct("[") {
                throw SyntaxError(message: "a set of entities is only allowed after `action in`", location: current.location)
            }
            let r = try parseEntityOrSlot(slot)
            if isIdent("is") {
                throw SyntaxError(message: "when `is` and `in` are used together, `is` must come first", location: current.location)
            }
            return .in(r)
        }
        if isIdent("is") {
            bump()
            let type = try parseTypePath()
            if isIdent("in") {
                bump()
                return .isIn(type, try parseEntityOrSlot(slot))
            }
            if isPunct("==") {
                throw SyntaxError(message: "`is` cannot be used together with `==`", location: current.location)
            }
            return .is(type)
        }
        if isPunct(":") {
            throw SyntaxError(message: "type constraints using `:` are not supported", location: current.location)
        }
        if isPunct("=") {
            throw SyntaxError(message: "'=' is not a valid operator in Cedar; use '=='", location: current.location)
        }
        guard isPunct(",") || isPunct(")") else {
            throw SyntaxError(message: "invalid operator in the policy scope: \(current.kind.display)", location: current.location)
        }
        return .any
    }

    private mutating func parseEntityOrSlot(_ slot: SlotID) throws(SyntaxError) -> EntityReference {
        if case .slot(let name) = current.kind {
            guard "?\(name)" == slot.rawValue else {
                let message =
                    ["principal", "resource"].contains(name)
                    ? "the slot ?\(name) may not be used here" : "`?\(name)` is not a valid template slot"
                throw SyntaxError(message: message, location: current.location)
            }
            bump()
            return .slot(slot)
        }
        return .entity(try parseEntityLiteral())
    }

    private mutating func parseActionScope() throws(SyntaxError) -> ActionConstraint {
        try expectVariable("action")
        if isPunct("==") {
            bump()
            return .equals(try parseActionEntity())
        }
        if isIdent("in") {
            bump()
            if isPunct("[") {
                bump()
                var list: [EntityUID] = []
                while !isPunct("]") {
                    list.append(try parseActionEntity())
                    if isPunct(",") { bump() } else { break }
                }
                try expectPunct("]")
                // A list of one stays a list: it means what `action in A` means (and compares equal
                // to it, ``ActionConstraint``), but it names the actions themselves, which is what
                // RAR delegation asks for, where `action in A` may name a group; the formatter keeps it.
                return .inSet(list)
            }
            return .in(try parseActionEntity())
        }
        if isIdent("is") {
            throw SyntaxError(message: "`is` may not be used in the action scope", location: current.location)
        }
        if isPunct("=") {
            throw SyntaxError(message: "'=' is not a valid operator in Cedar; use '=='", location: current.location)
        }
        guard isPunct(",") || isPunct(")") else {
            throw SyntaxError(message: "invalid operator in the policy scope: \(current.kind.display)", location: current.location)
        }
        return .any
    }

    private mutating func parseActionEntity() throws(SyntaxError) -> EntityUID {
        let location = current.location
        if case .slot = current.kind {
            throw SyntaxError(message: "template slots may not be used in the action scope", location: location)
        }
        let uid = try parseEntityLiteral()
        guard uid.type.isActionType else {
            throw SyntaxError(message: "expected an entity uid with type `Action` but got `\(uid)`", location: location)
        }
        return uid
    }

    /// `Path '::' STR`.
    mutating func parseEntityLiteral() throws(SyntaxError) -> EntityUID {
        let (path, id) = try parsePathMaybeEntity()
        guard let id else { throw unexpected("`::` and an entity id string") }
        return EntityUID(type: EntityType(path.joined(separator: "::")), id: CedarString(id))
    }

    mutating func parseTypePath() throws(SyntaxError) -> EntityType {
        let (path, id) = try parsePathMaybeEntity()
        if id != nil { throw SyntaxError(message: "expected an entity type name, found an entity", location: current.location) }
        return EntityType(path.joined(separator: "::"))
    }

    /// Reads `A::B::C` and, when followed by `::"id"`, the id.
    mutating func parsePathMaybeEntity() throws(SyntaxError) -> ([String], String?) {
        var path: [String] = []
        while true {
            guard case .identifier(let seg) = current.kind else { throw unexpected("an identifier") }
            try checkName(seg)
            path.append(seg)
            bump()
            guard isPunct("::") else { return (path, nil) }
            bump()
            if case .string(let raw) = current.kind {
                let id = try unescape(raw, at: current.location)
                bump()
                return (path, id)
            }
            if isPunct("{") {
                throw SyntaxError(message: "invalid entity literal: entity ids must be strings", location: current.location)
            }
        }
    }

    func checkName(_ name: String) throws(SyntaxError) {
        if Lexer.reservedWords.contains(name) {
            throw SyntaxError(message: "`\(name)` is a reserved identifier", location: current.location)
        }
        if name == "__cedar" {
            throw SyntaxError(message: "`__cedar` is reserved and may not be used in a name", location: current.location)
        }
    }
}

extension TokenKind {
    var isIdentifierToken: Bool {
        if case .identifier = self { return true }
        return false
    }
}
