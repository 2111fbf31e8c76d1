import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import TesseraEngine
import TesseraServer
import TesseraStorage
import TesseraTesting
import Testing

/// A person named under `users:` in the config file and removed with `tessera users remove` stays removed when the
/// server starts again: start-up does not give the name back to someone who signs in with the file's password, whom
/// clients would take for the person removed (OpenID Connect Core §2; the J8 finding's config-file half).
@Suite struct ConfiguredUserRemovalTests {
    static func configure(_ configuration: inout ServerConfiguration) {
        configuration.users = [
            UserDefinition(username: "carol", password: "carol-password", displayName: "Carol"),
            UserDefinition(username: "dave", password: "dave-password", displayName: "Dave"),
        ]
    }

    @Test func aRemovedConfiguredUserIsNotRecreatedAtTheNextStart() async throws {
        let opened = Mutex<(database: EngineDatabase, stores: Stores?)?>(nil)
        _ = try await TestServer.build(configure: Self.configure) { database in
            opened.withLock { $0 = (database, nil) }
            return database.wrappingStores { stores in
                opened.withLock { $0?.stores = stores }
                return stores
            }
        }
        let database = try #require(opened.withLock { $0?.database })
        let stores = try #require(opened.withLock { $0?.stores })
        let people = PeopleService(store: stores.people, now: { Date() })
        #expect(try await people.authenticate(username: "carol", password: "carol-password") != nil)
        // What `tessera users remove carol` does.
        #expect(try await stores.people.removeUser(username: "carol", at: Date()))

        // The next start, with the same file, over the same database.
        let restarted = try await TestServer.build(configure: Self.configure) { _ in database }
        #expect(try await stores.people.user(username: "carol") == nil, "start-up gave the removed name back")
        #expect(try await stores.people.user(username: "dave") != nil, "the file's other users are still seeded")
        try await restarted.application.test(.router) { client in
            let browser = AuthorizationCodeFlowTests.Browser(client)
            let form = try await browser.request("/signin")
            let refused = try await browser.request(
                "/signin",
                method: .post,
                form: [("csrf", form.csrf ?? ""), ("username", "carol"), ("password", "carol-password"), ("next", "/device")]
            )
            #expect(refused.status == .unauthorized, "the removed person's file password still signs in")
        }

        // The operator gives the name out again knowingly (`tessera users add carol --force`): later starts keep her.
        try await people.addUser(username: "carol", password: "carol-password-2", displayName: "Carol Newcomer")
        _ = try await TestServer.build(configure: Self.configure) { _ in database }
        #expect(try await stores.people.user(username: "carol") != nil)
    }
}
