import Testing

@testable import Cedar

@Suite struct SmokeTests {
    @Test func emptyPolicySetDenies() throws {
        let set = try PolicySet(parsing: "")
        let r = Authorizer(policies: set).isAuthorized(
            AuthorizationRequest(principal: EntityUID("User", "a"), action: EntityUID("Action", "v"), resource: EntityUID("Doc", "d")),
            entities: EntityStore()
        )
        #expect(r.decision == .deny)
    }
}
