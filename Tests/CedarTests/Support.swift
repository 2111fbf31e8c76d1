@testable import Cedar

/// Shared fixtures for the Cedar tests: the digest's §14 entity store and small helpers.
enum Fixture {
    static let storeJSON = #"""
        [
          {"uid": {"type": "User", "id": "alice"}, "attrs": {"dept": "eng", "level": 7, "email": "alice@corp.example", "age": 30,
            "addr": {"city": "DC"}}, "parents": [{"type": "Group", "id": "admins"}], "tags": {"team": "blue"}},
          {"uid": {"type": "User", "id": "bob"}, "attrs": {"dept": "ops", "level": 2}, "parents": [{"type": "Group", "id": "staff"}],
            "tags": {"clearance": "secret"}},
          {"uid": {"type": "Group", "id": "admins"}, "attrs": {}, "parents": [{"type": "Group", "id": "staff"}]},
          {"uid": {"type": "Group", "id": "staff"}, "attrs": {}, "parents": []},
          {"uid": {"type": "Folder", "id": "shared"}, "attrs": {}, "parents": []},
          {"uid": {"type": "Doc", "id": "plan"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "bob"}}, "private": true,
            "score": {"__extn": {"fn": "decimal", "arg": "0.91"}}}, "parents": [{"type": "Folder", "id": "shared"}]},
          {"uid": {"type": "Action", "id": "view"}, "attrs": {}, "parents": [{"type": "Action", "id": "read"}]},
          {"uid": {"type": "Action", "id": "read"}, "attrs": {}, "parents": []},
          {"uid": {"type": "Action", "id": "delete"}, "attrs": {}, "parents": []}
        ]
        """#

    static let store: EntityStore = {
        do {
            return try EntityStore(json: storeJSON)
        } catch {
            return EntityStore()
        }
    }()

    static func request(
        _ principal: String,
        _ action: String,
        resource: EntityUID = EntityUID("Doc", "plan"),
        context: [CedarString: CedarValue] = [:]
    ) -> AuthorizationRequest {
        AuthorizationRequest(
            principal: EntityUID("User", principal),
            action: EntityUID("Action", action),
            resource: resource,
            context: context
        )
    }

    static func authorize(_ policies: String, _ request: AuthorizationRequest) throws -> AuthorizationResponse {
        Authorizer(policies: try PolicySet(parsing: policies)).isAuthorized(request, entities: store)
    }

    /// Evaluates `expr` as the body of a `when` for alice viewing Doc::"plan".
    static func evaluate(_ expr: String, context: [CedarString: CedarValue] = [:]) throws -> Result<CedarValue, EvaluationError> {
        let e = try Parser.parseExpression(expr).get()
        let evaluator = Evaluator(request: request("alice", "view", context: context), entities: store)
        do throws(EvaluationError) {
            return .success(try evaluator.evaluate(e))
        } catch {
            return .failure(error)
        }
    }

    static func extensionValue(_ fn: ExtensionFunction, _ argument: String) -> CedarValue {
        switch Evaluator.callExtension(fn, [.string(argument)]) {
        case .success(let v): v
        case .failure: .bool(false)
        }
    }

    static func errorCode(_ expr: String) throws -> EvaluationError.Code? {
        if case .failure(let e) = try evaluate(expr) { return e.code }
        return nil
    }

    static func parseFails(_ text: String) -> CedarParseError? {
        do {
            _ = try PolicySet(parsing: text)
            return nil
        } catch {
            return error
        }
    }
}
