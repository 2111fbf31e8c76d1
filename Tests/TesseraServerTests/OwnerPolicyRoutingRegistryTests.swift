import Foundation
import HTTPTypes
import HummingbirdTesting
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// Routing to a resource owner (`gnap.interaction.resource_owners`, asked of the one policy) sees the grant's
/// client as every other decision does: the registered instance, with its `allowed_access`, read from the one
/// registry whether the configuration file or `tessera clients` registered it (issue 19, "one registry").
extension OwnerPolicyDoorsTests {
    enum Registered: String, CaseIterable, Sendable {
        /// `gnap.instances` in the configuration file.
        case configuration
        /// Only in the client store, as `tessera clients gnap add` leaves it.
        case database
    }

    /// Rights an instance is registered for may be approved by alice alone.
    static let registeredRightsAreAlices = """
        @id("registered-rights-are-alices")
        forbid (principal, action == Action::"approve", resource)
        when { principal.scopes.containsAny(context.scopes) && context has user && context.user != User::"alice" };
        """

    @Test(arguments: Registered.allCases)
    func routingSeesTheInstanceFromTheOneRegistry(_ registered: Registered) async throws {
        let signer = GNAPTestSigner(kid: "db-agent", now: clock.closure)
        let owner = try OwnerPolicy(text: Self.registeredRightsAreAlices, source: "owner.cedar")
        let app = try await TestServer.build(now: clock.closure) { configuration in
            configuration.policy = owner
            configuration.gnap.interaction.resourceOwners = ["photos": "alice", "hr": "bob"]
            if registered == .configuration {
                configuration.gnap.instances = [.init(id: "db-agent", key: signer.key, displayName: "Agent", allowedAccess: ["payroll"])]
            }
        }
        if registered == .database {
            let registration = try GNAPRegistry.registration(
                key: signer.key,
                instance: .init(allowedAccess: ["payroll"]),
                resourceServer: nil
            )
            try await app.engine.stores.clients.insert(.gnapOnly(id: "db-agent", gnap: registration, createdAt: clock.now))
        }
        try await app.application.test(.router) { client in
            // `payroll` is the instance's registered right, so alice's; `hr` is bob's: two owners, refused
            // (RFC 9635 §1.4). Routing saw no instance (an empty principal) and sent both to bob.
            let mixed = try await Self.grant(client, app, .instance("db-agent"), signer, ["payroll", "hr"])
            #expect(mixed.status == .forbidden, "\(mixed.json)")
            #expect(GNAPEndpointTests.errorCode(mixed.json) == "request_denied")
            // Each owner's rights alone wait for that owner.
            for alone in [["payroll"], ["hr"]] {
                let pending = try await Self.grant(client, app, .instance("db-agent"), signer, alone.map { GNAPAccessRight.reference($0) })
                #expect(pending.status == .ok, "\(alone): \(pending.json)")
                #expect(pending.json["continue"] is [String: Any])
            }
        }
    }
}
