import Testing

@testable import Cedar

/// ``Policy/entityLiterals``: every entity a policy names, in its scope and anywhere in its conditions (the people
/// a GNAP grant may be routed to are read this way, docs/policy.md "Routing").
@Suite struct PolicyEntityLiteralsTests {
    @Test func everyEntityNamedInTheScopeAndTheConditionsIsFound() throws {
        let set = try PolicySet(
            parsing: """
                forbid (principal == Client::"c", action in [Action::"approve", Action::"token"], resource in Group::"g")
                when { context.user != User::"bob" && [User::"carol", User::"dave"].contains(context.user) }
                unless { {who: User::"erin"}.who == context.user || principal == User::"frank" };
                """
        )
        let found = Set(try #require(set.policies.first).entityLiterals.map(\.description))
        #expect(
            found == [
                #"Client::"c""#, #"Action::"approve""#, #"Action::"token""#, #"Group::"g""#, #"User::"bob""#, #"User::"carol""#,
                #"User::"dave""#, #"User::"erin""#, #"User::"frank""#,
            ]
        )
        let open = try PolicySet(parsing: #"permit (principal, action, resource) when { context.n > 1 };"#)
        #expect(try #require(open.policies.first).entityLiterals.isEmpty)
    }
}
