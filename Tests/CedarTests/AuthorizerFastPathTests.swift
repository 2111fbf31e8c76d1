import Testing

@testable import Cedar

/// The authorizer's fast paths (exact scope index, conditions split into atoms shared across the
/// set and evaluated once per request, principal and resource read from the store once) give
/// exactly the plain algorithm's answers: decision, reasons, and every error with its code and
/// message. Each case is checked against expected values and against ``PlainAuthorizer``.
@Suite struct AuthorizerFastPathTests {
    struct Answer: Equatable, CustomStringConvertible {
        var decision: AuthorizationResponse.Decision
        var reasons: Set<String>
        var errors: [String]

        init(_ r: AuthorizationResponse) {
            decision = r.decision
            reasons = r.diagnostics.reasons
            errors = r.diagnostics.errors.map { "\($0.policyID) \($0.error.code) \($0.error.message)" }
        }

        var description: String { "\(decision) \(reasons.sorted()) \(errors)" }
    }

    /// Authorizes with both authorizers, expects them to agree, and returns the answer.
    static func both(
        _ policies: String,
        _ request: AuthorizationRequest,
        store: EntityStore = Fixture.store,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws -> AuthorizationResponse {
        let set = try PolicySet(parsing: policies)
        let fast = Authorizer(policies: set).isAuthorized(request, entities: store)
        let plain = PlainAuthorizer.isAuthorized(set, request, entities: store)
        #expect(Answer(fast) == Answer(plain), "\(policies)", sourceLocation: sourceLocation)
        return fast
    }

    static func errorIDs(_ r: AuthorizationResponse) -> [String] { r.diagnostics.errors.map(\.policyID) }

    @Test func equalsScopesMatchOnlyTheEntityNotItsDescendants() throws {
        // alice is in admins, in staff; view is in read. `==` must not match a descendant.
        let r = try Self.both(
            #"""
            permit(principal == Group::"staff", action, resource);
            permit(principal, action == Action::"read", resource);
            permit(principal, action, resource == Folder::"shared");
            permit(principal in Group::"staff", action in Action::"read", resource in Folder::"shared");
            """#,
            Fixture.request("alice", "view")
        )
        #expect(r.decision == .allow)
        #expect(r.diagnostics.reasons == ["policy3"])
    }

    @Test func isInScopesNeedTheTypeAndTheAncestor() throws {
        let policies = #"permit(principal, action, resource is Doc in Folder::"shared");"#
        #expect(try Self.both(policies, Fixture.request("alice", "view")).decision == .allow)
        // The folder itself is `in` itself, but is not a Doc.
        #expect(try Self.both(policies, Fixture.request("alice", "view", resource: EntityUID("Folder", "shared"))).decision == .deny)
        // A Doc that is not stored has no ancestors.
        #expect(try Self.both(policies, Fixture.request("alice", "view", resource: EntityUID("Doc", "ghost"))).decision == .deny)
    }

    @Test func actionGroupsAndListsMatchThroughTheActionHierarchy() throws {
        let policies = #"""
            permit(principal, action in [Action::"read", Action::"delete"], resource) when { principal.level > 5 };
            forbid(principal, action in Action::"read", resource) when { context has locked && context.locked };
            """#
        #expect(try Self.both(policies, Fixture.request("alice", "view")).decision == .allow)
        #expect(try Self.both(policies, Fixture.request("alice", "delete")).decision == .allow)
        let locked = try Self.both(policies, Fixture.request("alice", "view", context: ["locked": .bool(true)]))
        #expect(locked.decision == .deny)
        #expect(locked.diagnostics.reasons == ["policy1"])
        #expect(try Self.both(policies, Fixture.request("bob", "view")).decision == .deny)
    }

    @Test func aSharedAtomThatErrorsIsReportedForEveryPolicyThatReachesIt() throws {
        // The three policies share `principal.nope == 1`; the third never reaches it because its
        // first atom is false, so it is not satisfied and does not error.
        let r = try Self.both(
            #"""
            permit(principal, action, resource) when { principal.nope == 1 };
            forbid(principal, action, resource) when { resource.owner == principal || principal.nope == 1 };
            permit(principal, action, resource) when { principal.level > 100 && principal.nope == 1 };
            permit(principal, action, resource) when { principal.level > 1 };
            """#,
            Fixture.request("alice", "view")
        )
        #expect(r.decision == .allow)
        #expect(r.diagnostics.reasons == ["policy3"])
        #expect(Self.errorIDs(r) == ["policy0", "policy1"])
        #expect(r.diagnostics.errors.allSatisfy { $0.error.code == .attributeDoesNotExist })
        #expect(r.diagnostics.errors[0].error.message == r.diagnostics.errors[1].error.message)
    }

    @Test func conditionsAreCheckedInOrderAcrossWhenAndUnless() throws {
        // `unless { a || b }` stops at the first true; `when { !a }` flips; order decides whether an error shows.
        let policies = #"""
            permit(principal, action, resource) unless { context.mfa || principal.nope };
            permit(principal, action, resource) when { !(principal.level > 100) } unless { principal.nope };
            permit(principal, action, resource) unless { principal.level > 1 } when { principal.nope };
            """#
        let mfa = try Self.both(policies, Fixture.request("alice", "view", context: ["mfa": .bool(true)]))
        #expect(Self.errorIDs(mfa) == ["policy1"])
        let noMFA = try Self.both(policies, Fixture.request("alice", "view", context: ["mfa": .bool(false)]))
        #expect(Self.errorIDs(noMFA) == ["policy0", "policy1"])
        #expect(noMFA.decision == .deny)
    }

    @Test func nonBooleanAtomsAreTypeErrorsWhereverTheyAppear() throws {
        let r = try Self.both(
            #"""
            permit(principal, action, resource) when { principal.level && true };
            permit(principal, action, resource) when { !principal.dept };
            permit(principal, action, resource) unless { principal.dept || true };
            permit(principal, action, resource) when { principal.level };
            """#,
            Fixture.request("alice", "view")
        )
        #expect(Self.errorIDs(r) == ["policy0", "policy1", "policy2", "policy3"])
        #expect(r.diagnostics.errors.allSatisfy { $0.error.code == .typeError })
    }

    @Test func entitiesCompareUnequalToOtherKindsWithoutError() throws {
        let r = try Self.both(
            #"""
            permit(principal, action, resource) when { resource.owner == "bob" };
            permit(principal, action, resource) when { resource.owner != User::"alice" && resource.owner == User::"bob" };
            forbid(principal, action, resource) when { principal == resource.owner };
            """#,
            Fixture.request("bob", "view")
        )
        #expect(r.decision == .deny)
        #expect(r.diagnostics.reasons == ["policy2"])
        #expect(r.diagnostics.errors.isEmpty)
    }

    @Test func inWithSetsAndIsInConditions() throws {
        let store = try EntityStore(
            json: Fixture.storeJSON.replacing(
                #""private": true,"#,
                with: #""private": true, "editors": [{"__entity": {"type": "User", "id": "alice"}}], "mixed": ["alice"],"#
            )
        )
        let r = try Self.both(
            #"""
            permit(principal, action, resource) when { principal in resource.editors };
            permit(principal, action, resource) when { principal in [Group::"ops", Group::"staff"] };
            permit(principal, action, resource) when { principal is User in Group::"admins" };
            permit(principal, action, resource) when { principal in resource.mixed };
            permit(principal, action, resource) when { resource in [Folder::"shared"] && resource is Doc };
            """#,
            Fixture.request("alice", "view"),
            store: store
        )
        #expect(r.diagnostics.reasons == ["policy0", "policy1", "policy2", "policy4"])
        #expect(Self.errorIDs(r) == ["policy3"])
        #expect(r.diagnostics.errors[0].error.code == .typeError)
        let bob = try Self.both(
            #"permit(principal, action, resource) when { principal in resource.editors };"#,
            Fixture.request("bob", "view"),
            store: store
        )
        #expect(bob.decision == .deny)
    }

    @Test func unknownRequestEntitiesAreInNothingAndHaveNoAttributes() throws {
        let ghost = AuthorizationRequest(
            principal: EntityUID("User", "ghost"),
            action: EntityUID("Action", "view"),
            resource: EntityUID("Doc", "plan")
        )
        let r = try Self.both(
            #"""
            permit(principal in Group::"staff", action, resource);
            permit(principal, action, resource) when { principal in Group::"staff" };
            permit(principal == User::"ghost", action, resource) when { principal.dept == "eng" };
            permit(principal, action, resource) when { principal has dept };
            permit(principal, action, resource) when { principal.hasTag("team") };
            permit(principal, action, resource) when { principal.getTag("team") == "blue" };
            permit(principal is User, action, resource) when { principal in principal };
            """#,
            ghost
        )
        #expect(r.diagnostics.reasons == ["policy6"])
        #expect(Self.errorIDs(r) == ["policy2", "policy5"])
        #expect(r.diagnostics.errors.allSatisfy { $0.error.code == .entityDoesNotExist })
    }

    @Test func thePrincipalMayAlsoBeTheResource() throws {
        let r = try Self.both(
            #"permit(principal, action, resource) when { resource == principal && resource.level == principal.level && resource in Group::"staff" };"#,
            AuthorizationRequest(
                principal: EntityUID("User", "alice"),
                action: EntityUID("Action", "view"),
                resource: EntityUID("User", "alice")
            )
        )
        #expect(r.decision == .allow)
    }

    @Test func tagsOfTheRequestEntitiesAreRead() throws {
        let r = try Self.both(
            #"""
            permit(principal, action, resource) when { principal.hasTag("team") && principal.getTag("team") == "blue" };
            permit(principal, action, resource) when { principal.getTag("clearance") == "secret" };
            """#,
            Fixture.request("alice", "view")
        )
        #expect(r.diagnostics.reasons == ["policy0"])
        #expect(r.diagnostics.errors.map(\.error.code) == [.tagDoesNotExist])
    }
}
