/// A type as written, before names are resolved.
indirect enum RawSchemaType: Sendable {
    case path([String], SourceLocation?)
    case set(RawSchemaType)
    case record([RawField])
    /// A JSON-format `{"type": "Entity", "name": …}`: an entity type, never a common type.
    case entityOnly([String], SourceLocation?)
    case long, string, bool
    case ext(String)
}

/// A record field as written: name, whether required, type and its annotations (`@doc`, `@label`, …).
struct RawField: Sendable {
    var name: String
    var required: Bool
    var type: RawSchemaType
    var annotations: [String: String] = [:]
}

/// Declarations gathered from either schema format, resolved into a ``Schema``.
struct SchemaBuilder {
    struct RawEntity {
        var namespace: [String]
        var name: String
        var memberOf: [[String]]
        var shape: RawSchemaType?
        var tags: RawSchemaType?
        var enumIDs: [String]?
        var location: SourceLocation?
        var annotations: [String: String] = [:]
    }
    struct RawAction {
        var namespace: [String]
        var name: String
        /// (action type path or nil for "same namespace", id)
        var memberOf: [([String]?, String)]
        var principals: [[String]]?
        var resources: [[String]]?
        var context: RawSchemaType?
        var location: SourceLocation?
        var annotations: [String: String] = [:]
    }
    var entities: [RawEntity] = []
    var actions: [RawAction] = []
    var commonTypes: [String: (namespace: [String], type: RawSchemaType)] = [:]

    static let builtins: Set<String> = ["Long", "String", "Bool", "Boolean", "ipaddr", "decimal", "datetime", "duration"]

    /// The deepest a type may nest — records, sets and common types referring to common types,
    /// counted together — so that no schema can exhaust the stack while it is parsed or resolved,
    /// or later while policies are validated against it (every recursion over a ``SchemaType``).
    /// The policy parser's nesting limit (64).
    static let maxTypeDepth = Parser.maxDepth

    static func tooDeep(at location: SourceLocation?) -> SchemaError {
        SchemaError("type is nested too deeply (limit \(maxTypeDepth) levels of records, sets and common types)", at: location)
    }

    static func qualify(_ ns: [String], _ name: String) -> String { (ns + [name]).joined(separator: "::") }

    func build() throws(SchemaError) -> Schema {
        let entityNames = Set(entities.map { Self.qualify($0.namespace, $0.name) })
        // A namespaced definition may not shadow an empty-namespace one of the same name (as in the reference).
        let global = Set(
            entities.filter { $0.namespace.isEmpty }.map(\.name) + commonTypes.filter { $0.value.namespace.isEmpty }.map(\.key)
        )
        for e in entities where !e.namespace.isEmpty && global.contains(e.name) {
            throw SchemaError(
                "definition of `\(Self.qualify(e.namespace, e.name))` illegally shadows the existing definition of `\(e.name)`",
                at: e.location
            )
        }
        for (key, c) in commonTypes where !c.namespace.isEmpty {
            let local = String(key.split(separator: "::").last ?? "")
            if global.contains(local) {
                throw SchemaError("definition of `\(key)` illegally shadows the existing definition of `\(local)`")
            }
        }
        var resolving: Set<String> = []

        func resolveEntityName(_ path: [String], _ ns: [String], _ loc: SourceLocation?) throws(SchemaError) -> EntityType {
            if path.count == 1 {
                let local = Self.qualify(ns, path[0])
                if entityNames.contains(local) { return EntityType(local) }
            }
            let full = path.joined(separator: "::")
            if entityNames.contains(full) { return EntityType(full) }
            throw SchemaError("unknown entity type `\(full)`", at: loc)
        }

        func resolve(_ raw: RawSchemaType, _ ns: [String], depth: Int = 1) throws(SchemaError) -> SchemaType {
            guard depth <= Self.maxTypeDepth else {
                if case .path(_, let location) = raw { throw Self.tooDeep(at: location) }
                throw Self.tooDeep(at: nil)
            }
            switch raw {
            case .long: return .long
            case .string: return .string
            case .bool: return .bool
            case .ext(let n): return .extension(n)
            case .set(let e): return .set(try resolve(e, ns, depth: depth + 1))
            case .record(let fields):
                var attrs: [String: AttributeType] = [:]
                var annotations: [String: [String: String]] = [:]
                for f in fields {
                    guard attrs[f.name] == nil else { throw SchemaError("duplicate attribute `\(f.name)`") }
                    attrs[f.name] = AttributeType(try resolve(f.type, ns, depth: depth + 1), isRequired: f.required)
                    if !f.annotations.isEmpty { annotations[f.name] = f.annotations }
                }
                var record = RecordType(attrs)
                record.annotations = annotations
                return .record(record)
            case .entityOnly(let path, let loc):
                return .entity(try resolveEntityName(path, ns, loc))
            case .path(let path, let loc):
                var candidates: [String] = []
                if path.count == 1 {
                    candidates.append(Self.qualify(ns, path[0]))
                    if !ns.isEmpty { candidates.append(path[0]) }
                } else {
                    candidates.append(path.joined(separator: "::"))
                }
                for c in candidates {
                    if let common = commonTypes[c] {
                        guard resolving.insert(c).inserted else { throw SchemaError("common type `\(c)` refers to itself", at: loc) }
                        defer { resolving.remove(c) }
                        return try resolve(common.type, common.namespace, depth: depth + 1)
                    }
                    if entityNames.contains(c) { return .entity(EntityType(c)) }
                }
                var name = path.joined(separator: "::")
                if path.count == 2, path[0] == "__cedar" { name = path[1] }
                switch name {
                case "Long": return .long
                case "String": return .string
                case "Bool", "Boolean": return .bool
                case "ipaddr", "decimal", "datetime", "duration": return .extension(name)
                default: throw SchemaError("unknown type `\(path.joined(separator: "::"))`", at: loc)
                }
            }
        }

        /// An entity's shape or an action's context: a record, empty when not declared.
        func record(_ raw: RawSchemaType?, _ ns: [String], _ what: String, _ loc: SourceLocation?) throws(SchemaError) -> RecordType {
            guard let raw else { return RecordType() }
            guard case .record(let r) = try resolve(raw, ns) else { throw SchemaError("\(what) must be a record", at: loc) }
            return r
        }

        func entityTypes(_ paths: [[String]], _ ns: [String], _ loc: SourceLocation?) throws(SchemaError) -> [EntityType] {
            try paths.map { (path) throws(SchemaError) in try resolveEntityName(path, ns, loc) }
        }

        var entityDecls: [EntityType: EntityTypeDeclaration] = [:]
        for e in entities {
            let name = EntityType(Self.qualify(e.namespace, e.name))
            guard entityDecls[name] == nil else { throw SchemaError("entity type `\(name)` is declared twice", at: e.location) }
            let attrs = try record(e.shape, e.namespace, "the shape of entity type `\(name)`", e.location)
            entityDecls[name] = EntityTypeDeclaration(
                name: name,
                memberOfTypes: try entityTypes(e.memberOf, e.namespace, e.location),
                attributes: attrs,
                tags: try e.tags.map { (t: RawSchemaType) throws(SchemaError) in try resolve(t, e.namespace) },
                enumeratedIDs: e.enumIDs,
                annotations: e.annotations
            )
        }
        var actionDecls: [EntityUID: ActionDeclaration] = [:]
        for a in actions {
            let actionType = EntityType(Self.qualify(a.namespace, "Action"))
            let uid = EntityUID(type: actionType, id: CedarString(a.name))
            guard actionDecls[uid] == nil else { throw SchemaError("action `\(uid)` is declared twice", at: a.location) }
            let context = try record(a.context, a.namespace, "the context of action `\(uid)`", a.location)
            let principals = try entityTypes(a.principals ?? [], a.namespace, a.location)
            let resources = try entityTypes(a.resources ?? [], a.namespace, a.location)
            let memberOf = a.memberOf.map { (path, id) in
                EntityUID(type: path.map { EntityType($0.joined(separator: "::")) } ?? actionType, id: CedarString(id))
            }
            actionDecls[uid] = ActionDeclaration(
                uid: uid,
                memberOf: memberOf,
                principalTypes: principals,
                resourceTypes: resources,
                context: context,
                annotations: a.annotations
            )
        }
        return try Schema(entityTypes: entityDecls, actions: actionDecls)
    }
}

/// Parses the human-readable `.cedarschema` syntax.
struct SchemaTextParser {
    enum Kind: Equatable {
        case ident(String)
        case string(String)
        case punct(String)
        case end
    }
    struct Tok {
        var kind: Kind
        var location: SourceLocation
    }

    var tokens: [Tok] = []
    var pos = 0
    var builder = SchemaBuilder()
    /// How deeply the type being read nests (``SchemaBuilder/maxTypeDepth``).
    var depth = 0

    static func parse(_ text: String) throws(SchemaError) -> Schema {
        var p = SchemaTextParser()
        p.tokens = try tokenize(text)
        try p.schema()
        return try p.builder.build()
    }

    static func tokenize(_ text: String) throws(SchemaError) -> [Tok] {
        let s = Array(text.unicodeScalars)
        var out: [Tok] = []
        var i = 0
        var line = 1
        var col = 1
        func adv() {
            if s[i] == "\n" {
                line += 1
                col = 1
            } else {
                col += 1
            }
            i += 1
        }
        while true {
            while i < s.count {
                if s[i].properties.isWhitespace {
                    adv()
                } else if s[i] == "/", i + 1 < s.count, s[i + 1] == "/" {
                    while i < s.count, s[i] != "\n" { adv() }
                } else {
                    break
                }
            }
            let loc = SourceLocation(line: line, column: col)
            guard i < s.count else {
                out.append(Tok(kind: .end, location: loc))
                return out
            }
            let c = s[i]
            if Lexer.isIdentStart(c) {
                var id = String.UnicodeScalarView()
                while i < s.count, Lexer.isIdentContinue(s[i]) {
                    id.append(s[i])
                    adv()
                }
                out.append(Tok(kind: .ident(String(id)), location: loc))
            } else if c == "\"" {
                adv()
                var str = String.UnicodeScalarView()
                while true {
                    guard i < s.count else { throw SchemaError("unterminated string literal", at: loc) }
                    let d = s[i]
                    adv()
                    if d == "\"" { break }
                    if d == "\\" {
                        guard i < s.count else { throw SchemaError("unterminated string literal", at: loc) }
                        let e = s[i]
                        adv()
                        switch e {
                        case "n": str.append("\n")
                        case "r": str.append("\r")
                        case "t": str.append("\t")
                        case "0": str.append("\0")
                        case "\\", "\"", "'", "*": str.append(e)
                        case "u":
                            guard i < s.count, s[i] == "{" else { throw SchemaError("invalid escape in string literal", at: loc) }
                            adv()
                            var hex = ""
                            while i < s.count, s[i] != "}" {
                                hex.unicodeScalars.append(s[i])
                                adv()
                            }
                            guard i < s.count, let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) else {
                                throw SchemaError("invalid escape in string literal", at: loc)
                            }
                            adv()
                            str.append(u)
                        default: throw SchemaError("invalid escape `\\\(e)` in string literal", at: loc)
                        }
                    } else {
                        str.append(d)
                    }
                }
                out.append(Tok(kind: .string(String(str)), location: loc))
            } else if c == ":", i + 1 < s.count, s[i + 1] == ":" {
                adv()
                adv()
                out.append(Tok(kind: .punct("::"), location: loc))
            } else if "{}[]<>(),;:=?@".unicodeScalars.contains(c) {
                adv()
                out.append(Tok(kind: .punct(String(c)), location: loc))
            } else {
                throw SchemaError("unexpected character `\(c)`", at: loc)
            }
        }
    }

    var peek: Tok { tokens[min(pos, tokens.count - 1)] }
    func peekKind(_ n: Int) -> Kind { tokens[min(pos + n, tokens.count - 1)].kind }

    mutating func fail(_ expected: String) -> SchemaError {
        let found: String
        switch peek.kind {
        case .ident(let s): found = "`\(s)`"
        case .string(let s): found = "\"\(s)\""
        case .punct(let p): found = "`\(p)`"
        case .end: found = "end of input"
        }
        return SchemaError("expected \(expected), found \(found)", at: peek.location)
    }

    mutating func accept(_ p: String) -> Bool {
        if peek.kind == .punct(p) {
            pos += 1
            return true
        }
        return false
    }

    mutating func expect(_ p: String) throws(SchemaError) {
        guard accept(p) else { throw fail("`\(p)`") }
    }

    mutating func ident() throws(SchemaError) -> String {
        guard case .ident(let s) = peek.kind else { throw fail("an identifier") }
        pos += 1
        return s
    }

    mutating func isKeyword(_ k: String) -> Bool { peek.kind == .ident(k) }

    mutating func name() throws(SchemaError) -> String {
        switch peek.kind {
        case .ident(let s), .string(let s):
            pos += 1
            return s
        default: throw fail("a name")
        }
    }

    mutating func path() throws(SchemaError) -> [String] {
        var parts = [try ident()]
        while peek.kind == .punct("::"), case .ident = peekKind(1) {
            pos += 1
            parts.append(try ident())
        }
        return parts
    }

    /// Reads `@key` / `@key("value")` annotations; a key written twice is an error, as in the reference.
    @discardableResult
    mutating func annotations() throws(SchemaError) -> [String: String] {
        var out: [String: String] = [:]
        while accept("@") {
            let loc = peek.location
            let key = try ident()
            var value = ""
            if accept("(") {
                guard case .string(let s) = peek.kind else { throw fail("a string") }
                pos += 1
                value = s
                try expect(")")
            }
            guard out.updateValue(value, forKey: key) == nil else { throw SchemaError("duplicate annotation `@\(key)`", at: loc) }
        }
        return out
    }

    mutating func schema() throws(SchemaError) {
        while true {
            let leading = try annotations()
            if peek.kind == .end { return }
            if isKeyword("namespace") {
                pos += 1
                let ns = try path()
                try expect("{")
                while true {
                    let annotations = try annotations()
                    if accept("}") { break }
                    try declaration(ns, annotations: annotations)
                }
            } else {
                try declaration([], annotations: leading)
            }
        }
    }

    mutating func declaration(_ ns: [String], annotations: [String: String] = [:]) throws(SchemaError) {
        let loc = peek.location
        if isKeyword("entity") {
            pos += 1
            var names = [try ident()]
            while accept(",") { names.append(try ident()) }
            if isKeyword("enum") {
                pos += 1
                try expect("[")
                var ids: [String] = []
                repeat {
                    guard case .string(let s) = peek.kind else { throw fail("a string") }
                    pos += 1
                    ids.append(s)
                } while accept(",")
                try expect("]")
                try expect(";")
                for n in names {
                    builder.entities.append(
                        .init(
                            namespace: ns,
                            name: n,
                            memberOf: [],
                            shape: nil,
                            tags: nil,
                            enumIDs: ids,
                            location: loc,
                            annotations: annotations
                        )
                    )
                }
                return
            }
            var parents: [[String]] = []
            if isKeyword("in") {
                pos += 1
                parents = try oneOrList { (p) throws(SchemaError) in try p.path() }
            }
            var shape: RawSchemaType?
            _ = accept("=")
            if peek.kind == .punct("{") { shape = try recordType() }
            var tags: RawSchemaType?
            if isKeyword("tags") {
                pos += 1
                tags = try type()
            }
            try expect(";")
            for n in names {
                builder.entities.append(
                    .init(
                        namespace: ns,
                        name: n,
                        memberOf: parents,
                        shape: shape,
                        tags: tags,
                        enumIDs: nil,
                        location: loc,
                        annotations: annotations
                    )
                )
            }
        } else if isKeyword("action") {
            pos += 1
            var names = [try name()]
            while accept(",") { names.append(try name()) }
            var memberOf: [([String]?, String)] = []
            if isKeyword("in") {
                pos += 1
                memberOf = try oneOrList { (p) throws(SchemaError) in try p.actionRef() }
            }
            var principals: [[String]]?
            var resources: [[String]]?
            var context: RawSchemaType?
            if isKeyword("appliesTo") {
                pos += 1
                try expect("{")
                principals = []
                resources = []
                while !accept("}") {
                    let key = try ident()
                    try expect(":")
                    switch key {
                    case "principal": principals = try typeList()
                    case "resource": resources = try typeList()
                    case "context": context = try type()
                    default: throw SchemaError("unexpected `\(key)` in appliesTo", at: loc)
                    }
                    if !accept(",") {
                        try expect("}")
                        break
                    }
                }
            }
            if isKeyword("attributes") { throw SchemaError("action attributes are not supported", at: peek.location) }
            try expect(";")
            for n in names {
                builder.actions.append(
                    .init(
                        namespace: ns,
                        name: n,
                        memberOf: memberOf,
                        principals: principals,
                        resources: resources,
                        context: context,
                        location: loc,
                        annotations: annotations
                    )
                )
            }
        } else if isKeyword("type") {
            pos += 1
            let n = try ident()
            guard !["Bool", "Boolean", "Entity", "Extension", "Long", "Record", "Set", "String"].contains(n) else {
                throw SchemaError("`\(n)` is a reserved type name", at: loc)
            }
            try expect("=")
            let t = try type()
            try expect(";")
            let key = SchemaBuilder.qualify(ns, n)
            guard builder.commonTypes[key] == nil else { throw SchemaError("common type `\(key)` is declared twice", at: loc) }
            builder.commonTypes[key] = (ns, t)
        } else {
            throw fail("`entity`, `action`, `type` or `namespace`")
        }
    }

    mutating func actionRef() throws(SchemaError) -> ([String]?, String) {
        if case .string(let s) = peek.kind {
            pos += 1
            return (nil, s)
        }
        var parts = [try ident()]
        while accept("::") {
            if case .string(let s) = peek.kind {
                pos += 1
                return (parts, s)
            }
            parts.append(try ident())
        }
        guard parts.count == 1 else { throw fail("an action reference") }
        return (nil, parts[0])
    }

    mutating func typeList() throws(SchemaError) -> [[String]] {
        try oneOrList { (p) throws(SchemaError) in try p.path() }
    }

    /// One `item`, or a bracketed list of them (possibly empty): `in [A, B]`, `principal: A`.
    mutating func oneOrList<T>(_ item: (inout Self) throws(SchemaError) -> T) throws(SchemaError) -> [T] {
        guard accept("[") else { return [try item(&self)] }
        var out: [T] = []
        if accept("]") { return out }
        repeat { out.append(try item(&self)) } while accept(",")
        try expect("]")
        return out
    }

    mutating func type() throws(SchemaError) -> RawSchemaType {
        depth += 1
        defer { depth -= 1 }
        guard depth <= SchemaBuilder.maxTypeDepth else { throw SchemaBuilder.tooDeep(at: peek.location) }
        if peek.kind == .punct("{") { return try recordType() }
        let loc = peek.location
        if isKeyword("Set"), peekKind(1) == .punct("<") {
            pos += 2
            let e = try type()
            try expect(">")
            return .set(e)
        }
        return .path(try path(), loc)
    }

    mutating func recordType() throws(SchemaError) -> RawSchemaType {
        try expect("{")
        var fields: [RawField] = []
        while true {
            let annotations = try annotations()
            if accept("}") { break }
            let n = try name()
            let optional = accept("?")
            try expect(":")
            fields.append(RawField(name: n, required: !optional, type: try type(), annotations: annotations))
            if !accept(",") {
                try expect("}")
                break
            }
        }
        return .record(fields)
    }
}

extension Schema {
    /// Parses a schema in the human-readable `.cedarschema` syntax.
    ///
    /// - Throws: ``SchemaError`` with the line and column of the first problem.
    public init(parsing text: String) throws(SchemaError) {
        self = try SchemaTextParser.parse(text)
    }

    /// Parses a schema in the JSON schema format (`{"NS": {"entityTypes": …, "actions": …, "commonTypes": …}}`).
    ///
    /// - Throws: ``SchemaError``.
    public init(json text: String) throws(SchemaError) {
        self = try SchemaJSONParser.parse(text)
    }

    /// Parses either format: JSON when the text starts with `{`, `.cedarschema` otherwise.
    public init(text: String) throws(SchemaError) {
        if text.drop(while: { $0.isWhitespace }).first == "{" {
            self = try SchemaJSONParser.parse(text)
        } else {
            self = try SchemaTextParser.parse(text)
        }
    }
}

/// Parses the JSON schema format.
enum SchemaJSONParser {
    static func parse(_ text: String) throws(SchemaError) -> Schema {
        let json: JSONValue
        switch JSONReader.parse(text) {
        case .success(let v): json = v
        // Say what is wrong with the JSON (bad syntax, nesting deeper than the reader accepts)
        // rather than that it is not a schema.
        case .failure(let f): throw SchemaError(f.message)
        }
        guard let namespaces = json.objectMembers else {
            throw SchemaError("a JSON schema must be an object of namespaces")
        }
        var b = SchemaBuilder()
        for ns in namespaces {
            let nsPath = ns.key.isEmpty ? [] : split(ns.key)
            guard let body = ns.value.objectMembers else { throw SchemaError("namespace `\(ns.key)` must be an object") }
            for member in body {
                switch member.key {
                case "commonTypes":
                    for ct in member.value.objectMembers ?? [] {
                        b.commonTypes[SchemaBuilder.qualify(nsPath, ct.key)] = (nsPath, try type(ct.value))
                    }
                case "entityTypes":
                    for et in member.value.objectMembers ?? [] {
                        let v = et.value
                        var ids: [String]?
                        if let e = v["enum"]?.arrayValue { ids = e.compactMap(\.stringValue) }
                        b.entities.append(
                            .init(
                                namespace: nsPath,
                                name: et.key,
                                memberOf: (v["memberOfTypes"]?.arrayValue ?? []).compactMap(\.stringValue).map(split),
                                shape: try v["shape"].map(type),
                                tags: try v["tags"].map(type),
                                enumIDs: ids,
                                location: nil,
                                annotations: annotations(v)
                            )
                        )
                    }
                case "actions":
                    for a in member.value.objectMembers ?? [] {
                        let v = a.value
                        var memberOf: [([String]?, String)] = []
                        for m in v["memberOf"]?.arrayValue ?? [] {
                            guard let id = m["id"]?.stringValue else { throw SchemaError("`memberOf` entries need an `id`") }
                            memberOf.append((m["type"]?.stringValue.map(split), id))
                        }
                        var principals: [[String]]?
                        var resources: [[String]]?
                        var context: RawSchemaType?
                        if let applies = v["appliesTo"], applies != .null {
                            principals = (applies["principalTypes"]?.arrayValue ?? []).compactMap(\.stringValue).map(split)
                            resources = (applies["resourceTypes"]?.arrayValue ?? []).compactMap(\.stringValue).map(split)
                            context = try applies["context"].map(type)
                        }
                        b.actions.append(
                            .init(
                                namespace: nsPath,
                                name: a.key,
                                memberOf: memberOf,
                                principals: principals,
                                resources: resources,
                                context: context,
                                location: nil,
                                annotations: annotations(v)
                            )
                        )
                    }
                case "annotations": continue
                default: throw SchemaError("unexpected `\(member.key)` in namespace `\(ns.key)`")
                }
            }
        }
        return try b.build()
    }

    /// A declaration's `"annotations": {"key": "value"}` (string values only).
    static func annotations(_ json: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        for m in json["annotations"]?.objectMembers ?? [] { out[m.key] = m.value.stringValue ?? "" }
        return out
    }

    static func split(_ s: String) -> [String] { s.split(separator: "::", omittingEmptySubsequences: false).map(String.init) }

    static func type(_ json: JSONValue) throws(SchemaError) -> RawSchemaType {
        guard let kind = json["type"]?.stringValue else { throw SchemaError("a type needs a `type`") }
        switch kind {
        case "Long": return .long
        case "String": return .string
        case "Boolean": return .bool
        case "Set":
            guard let e = json["element"] else { throw SchemaError("a `Set` type needs an `element`") }
            return .set(try type(e))
        case "Record":
            var fields: [RawField] = []
            for a in json["attributes"]?.objectMembers ?? [] {
                var required = true
                if case .bool(let r) = a.value["required"] { required = r }
                fields.append(RawField(name: a.key, required: required, type: try type(a.value), annotations: annotations(a.value)))
            }
            return .record(fields)
        case "Entity":
            guard let n = json["name"]?.stringValue else { throw SchemaError("an `Entity` type needs a `name`") }
            return .entityOnly(split(n), nil)
        case "Extension":
            guard let n = json["name"]?.stringValue else { throw SchemaError("an `Extension` type needs a `name`") }
            return .ext(n)
        case "EntityOrCommon":
            guard let n = json["name"]?.stringValue else { throw SchemaError("an `EntityOrCommon` type needs a `name`") }
            return .path(split(n), nil)
        default:
            return .path(split(kind), nil)
        }
    }
}

/// Prints a ``Schema`` in the human-readable syntax.
public enum SchemaPrinter {
    static func name(_ n: String) -> String { Lexer.isIdentifier(n) ? n : PolicyFormatter.quote(n) }

    /// A qualified name split into its namespace (empty for none) and its last part.
    static func split(_ name: String) -> (String, String) {
        let parts = name.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return ("", name) }
        return (parts.dropLast().joined(separator: "::"), parts[parts.count - 1])
    }

    /// The schema in `.cedarschema` syntax: one `namespace` block per namespace, references fully qualified, sorted.
    public static func cedarschema(_ schema: Schema) -> String {
        var blocks: [String: [String]] = [:]
        for decl in schema.entityTypes.values.sorted(by: { $0.name.name < $1.name.name }) {
            let (ns, local) = split(decl.name.name)
            var out = "entity \(local)"
            if let ids = decl.enumeratedIDs {
                out += " enum [" + ids.map { PolicyFormatter.quote($0) }.joined(separator: ", ") + "];"
            } else {
                if !decl.memberOfTypes.isEmpty { out += " in [" + decl.memberOfTypes.map(\.name).joined(separator: ", ") + "]" }
                out += " \(decl.attributes)"
                if let tags = decl.tags { out += " tags \(tags)" }
                out += ";"
            }
            blocks[ns, default: []].append(out)
        }
        for decl in schema.actions.values.sorted(by: { $0.uid.description < $1.uid.description }) {
            let (ns, _) = split(decl.uid.type.name)
            var out = "action \(PolicyFormatter.quote(decl.uid.id.value))"
            if !decl.memberOf.isEmpty { out += " in [" + decl.memberOf.map(\.description).joined(separator: ", ") + "]" }
            out += " appliesTo { principal: [" + decl.principalTypes.map(\.name).joined(separator: ", ") + "], resource: ["
            out += decl.resourceTypes.map(\.name).joined(separator: ", ") + "], context: \(decl.context) };"
            blocks[ns, default: []].append(out)
        }
        var text = ""
        for ns in blocks.keys.sorted() {
            let lines = blocks[ns] ?? []
            if ns.isEmpty {
                text += lines.joined(separator: "\n") + "\n"
            } else {
                text += "namespace \(ns) {\n" + lines.map { "    " + $0 }.joined(separator: "\n") + "\n}\n"
            }
        }
        return text
    }
}
