/// A request: who (principal) wants to do what (action) to what (resource), in which context.
public struct AuthorizationRequest: Sendable, Hashable {
    /// The principal.
    public var principal: EntityUID
    /// The action.
    public var action: EntityUID
    /// The resource.
    public var resource: EntityUID
    /// The context record.
    public var context: [CedarString: CedarValue]

    /// Creates a request.
    public init(principal: EntityUID, action: EntityUID, resource: EntityUID, context: [CedarString: CedarValue] = [:]) {
        self.principal = principal
        self.action = action
        self.resource = resource
        self.context = context
    }

    /// Parses request JSON: `{"principal": …, "action": …, "resource": …, "context": {…}}`, where each
    /// entity is `{"type", "id"}`, `{"__entity": …}` or the string `Type::"id"`.
    ///
    /// - Throws: ``CedarParseError`` with code ``CedarParseError/Code/request``.
    public init(json text: String) throws(CedarParseError) {
        do throws(JSONReader.Failure) {
            try JSONReader.checkDataDepth(text)
        } catch {
            throw CedarParseError(.request, error.message)
        }
        switch JSONReader.parse(text) {
        case .success(let v): try self.init(jsonValue: v)
        case .failure(let f): throw CedarParseError(.request, f.message)
        }
    }

    init(jsonValue json: JSONValue) throws(CedarParseError) {
        func uid(_ key: String) throws(CedarParseError) -> EntityUID {
            guard let v = json[key] else { throw CedarParseError(.request, "the request has no `\(key)`") }
            if case .string(let text) = v {
                guard case .success(.literal(.entity(let e))) = Parser.parseExpression(text) else {
                    throw CedarParseError(.request, "`\(text)` is not an entity reference")
                }
                return e
            }
            do throws(ValueJSON.Failure) {
                return try ValueJSON.decodeUID(v)
            } catch {
                throw CedarParseError(.request, "`\(key)`: \(error.message)")
            }
        }
        principal = try uid("principal")
        action = try uid("action")
        resource = try uid("resource")
        context = [:]
        // A missing or `null` context is the empty record (as cedarpy, the reference binding, reads it).
        if let c = json["context"], c != .null {
            do throws(ValueJSON.Failure) {
                guard case .record(let r) = try ValueJSON.decode(c) else {
                    throw ValueJSON.Failure(message: "the context must be a record")
                }
                context = r
            } catch {
                throw CedarParseError(.request, "`context`: \(error.message)")
            }
        }
    }
}
