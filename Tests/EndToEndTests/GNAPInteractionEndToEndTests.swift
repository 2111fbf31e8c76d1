import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization
import TesseraClient
import TesseraProtocol
import Testing

/// GNAP interaction (RFC 9635 §4) against `tessera serve` as a real process: a person signs in on the
/// server's pages (driven over HTTP like a browser: one cookie, forms with their CSRF token, redirects
/// not followed), approves all, some or nothing, and the client finishes by redirect or push.
@Suite(.serialized) struct GNAPInteractionEndToEndTests {
    let agent = GNAPKeyPair.generate(.ed25519, keyID: "interact-agent")
    static let alice = ("alice", "alice-password-1")
    static let bob = ("bob", "bob-password-22")

    static let photos = GNAPAccessRight.object(GNAPAccessObject(type: "photo-api", actions: ["read"], locations: ["https://rs.example/"]))
    static let billing = GNAPAccessRight.object(
        GNAPAccessObject(
            type: "billing",
            actions: ["read"],
            locations: ["https://rs.example/"],
            extra: ["policySet": .string("permit(principal, action == Action::\"read\", resource);")]
        )
    )
    static let twoTokens = GNAPTokenRequests.multiple([
        GNAPTokenRequest(access: [photos], label: "photos"),
        GNAPTokenRequest(access: [billing], label: "billing"),
    ])

    struct Server {
        let process: TesseraProcess
        let directory: URL
        let config: String
        var base: String { process.baseURL }
    }

    func start(
        lifetime: Int = 600,
        allowLoopbackPush: Bool = true,
        directory existing: URL? = nil,
        port: String = "0"
    ) async throws -> Server {
        let directory = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("tessera-interact-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("tessera.yaml").path
        try """
        users:
          - username: \(Self.alice.0)
            password: \(Self.alice.1)
          - username: \(Self.bob.0)
            password: \(Self.bob.1)
        outbound_network:
          allowed_networks: [\(allowLoopbackPush ? "127.0.0.1/32" : "")]
        gnap:
          continuation_wait: 0
          interaction:
            lifetime: \(lifetime)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let process = try await TesseraProcess(["--config", config, "--data-dir", directory.path], port: port)
        return Server(process: process, directory: directory, config: config)
    }

    func withServer(lifetime: Int = 600, allowLoopbackPush: Bool = true, _ body: (Server) async throws -> Void) async throws {
        let server = try await start(lifetime: lifetime, allowLoopbackPush: allowLoopbackPush)
        do { try await body(server) } catch {
            try await server.process.stop()
            throw error
        }
        try await server.process.stop()
    }

    func client(_ server: Server) -> GNAPClient {
        var configuration = GNAPClient.Configuration(grantEndpoint: server.base + "/gnap")
        configuration.display = GNAPDisplay(name: "Photo <Printer> & Co", uri: "https://printer.example/")
        return GNAPClient(configuration: configuration, key: agent, sleep: { _ in })
    }

    static func request(
        _ tokens: GNAPTokenRequests = twoTokens,
        start: [String],
        finish: GNAPInteractionFinishState?,
        owner: String? = nil
    ) -> GNAPGrantRequest {
        var request = GNAPGrantRequest(
            accessToken: tokens,
            subject: GNAPSubjectRequest(subIDFormats: ["opaque"]),
            interact: GNAPInteractRequest(start: start.map(JSONValue.string), finish: finish?.requestMember)
        )
        if let owner { request.user = .value(subIDs: [["format": .string("opaque"), "id": .string(owner)]], assertions: nil) }
        return request
    }

    static func path(of url: String) -> String { URLComponents(string: url).map { $0.path } ?? url }

    static func claims(_ jwt: String) -> [String: Any] {
        let parts = jwt.split(separator: ".")
        guard parts.count == 3 else { return [:] }
        var payload = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        return Data(base64Encoded: payload).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
    }

    // MARK: - Redirect finish, approving part of the request

    @Test func redirectFinishWithPartialApprovalIssuesOnlyTheApprovedRights() async throws {
        try await withServer { server in
            let client = client(server)
            let finish = GNAPInteractionFinishState(method: "redirect", uri: "http://127.0.0.1:9/return/abc", hashMethod: "sha-512")
            let grant = try await client.requestGrant(Self.request(start: ["redirect"], finish: finish))
            #expect(grant.isPending)
            let redirect = try #require(grant.interact?["redirect"]?.stringValue)
            #expect(grant.interact?["finish"]?.stringValue != nil)

            let browser = InteractionPageDriver(base: server.base)
            // Not signed in: the interaction URL sends the browser to sign in first, and back afterwards.
            let first = try await browser.get(Self.path(of: redirect))
            #expect(first.status == 303 && first.location?.hasPrefix("/signin?next=") == true)
            let signedIn = try await browser.signIn(username: Self.alice.0, password: Self.alice.1, next: Self.path(of: redirect))
            #expect(signedIn.status == 303 && signedIn.location == Self.path(of: redirect))
            let cookie = signedIn.headers.first { $0.0.lowercased() == "set-cookie" }?.1 ?? ""
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.hasPrefix("tessera_session="))

            let consent = try await browser.get(Self.path(of: redirect))
            #expect(consent.status == 200)
            #expect(consent.body.contains("Photo &lt;Printer&gt; &amp; Co"), "self-asserted names are escaped")
            #expect(!consent.body.contains("<Printer>"))
            #expect(
                consent.body.contains("photo-api") && consent.body.contains("billing") && consent.body.contains("<pre>permit(principal")
            )
            #expect(consent.headers.contains { $0.0.lowercased() == "content-security-policy" })

            let decided = try await browser.decide(consentPath: Self.path(of: redirect), decision: "approve", rights: ["t0r0"])
            #expect(decided.status == 303, "303 See Other, never 307 (RFC 9635 §11.19)")
            let location = try #require(decided.location)
            #expect(location.hasPrefix("http://127.0.0.1:9/return/abc?"))
            let callback = try #require(GNAPInteractionCallback(redirectURL: location))
            let approved = try await client.finishInteraction(grant, finish: finish, callback: callback, requested: Self.twoTokens)
            #expect(approved.tokens.map(\.label) == ["photos"], "billing was unticked: no token for it")
            let token = try #require(approved.token(labelled: "photos"))
            #expect(token.access == [Self.photos])
            let claims = Self.claims(token.value)
            #expect(claims["sub"] as? String == "alice")
            #expect((claims["access"] as? [[String: Any]])?.map { $0["type"] as? String } == ["photo-api"])
            #expect(approved.subject?.subIDs?.first?["id"]?.stringValue == "alice")

            // Replay: the interact_ref is single use; presenting it again finalizes the grant (RFC 9635 §5.1).
            let continuation = try #require(approved.continuation)
            await #expect(throws: GNAPClientError(.grantError, "", gnapError: GNAPError(.tooManyAttempts, ""))) {
                _ = try await client.continueGrant(continuation, interactRef: callback.interactRef)
            }
            // The interaction URL is used up.
            let again = try await browser.get(Self.path(of: redirect))
            #expect(again.status == 410 && again.body.contains("Already answered"))
        }
    }

    @Test func aWrongHashAbortsWithoutSendingTheReference() async throws {
        try await withServer { server in
            let client = client(server)
            let finish = GNAPInteractionFinishState(method: "redirect", uri: "https://client.example/return")
            let grant = try await client.requestGrant(Self.request(start: ["redirect"], finish: finish))
            let redirect = try #require(grant.interact?["redirect"]?.stringValue)
            let browser = InteractionPageDriver(base: server.base)
            try await browser.signIn(username: Self.alice.0, password: Self.alice.1, next: Self.path(of: redirect))
            let decided = try await browser.decide(consentPath: Self.path(of: redirect), decision: "approve_all")
            let location = try #require(decided.location)
            let callback = try #require(GNAPInteractionCallback(redirectURL: location))
            // An attacker's reference injected into the callback (RFC 9635 §11.25) has the wrong hash.
            let injected = GNAPInteractionCallback(hash: callback.hash, interactRef: "attacker-ref")
            await #expect(throws: GNAPClientError(.interactionHashMismatch, "")) {
                _ = try await client.finishInteraction(grant, finish: finish, callback: injected)
            }
            // Change the last character to a different one (it is "A" for one hash in 16, so a fixed "A" sometimes
            // left the hash intact and made this test flaky).
            let lastCharacter = callback.hash.last == "A" ? "E" : "A"
            let tampered = GNAPInteractionCallback(
                hash: String(callback.hash.dropLast()) + lastCharacter,
                interactRef: callback.interactRef
            )
            await #expect(throws: GNAPClientError(.interactionHashMismatch, "")) {
                _ = try await client.finishInteraction(grant, finish: finish, callback: tampered)
            }
            // Nothing reached the AS: the genuine callback still works.
            let approved = try await client.finishInteraction(grant, finish: finish, callback: callback, requested: Self.twoTokens)
            #expect(approved.tokens.count == 2)
        }
    }

    // MARK: - Push finish

    @Test func pushFinishDeliversTheReferenceAndDenialEndsTheGrant() async throws {
        let receiver = try await PushReceiver.start()
        defer { receiver.stop() }
        try await withServer { server in
            let client = client(server)
            let finish = GNAPInteractionFinishState(method: "push", uri: "http://127.0.0.1:\(receiver.port)/push/1")
            let grant = try await client.requestGrant(Self.request(start: ["redirect"], finish: finish))
            let redirect = try #require(grant.interact?["redirect"]?.stringValue)
            let browser = InteractionPageDriver(base: server.base)
            try await browser.signIn(username: Self.bob.0, password: Self.bob.1, next: Self.path(of: redirect))
            let decided = try await browser.decide(consentPath: Self.path(of: redirect), decision: "approve_all")
            #expect(decided.status == 200 && decided.body.contains("has been told"))
            let body = try #require(receiver.received.withLock { $0["/push/1"] })
            let callback = try #require(GNAPInteractionCallback(pushBody: body))
            let approved = try await client.finishInteraction(grant, finish: finish, callback: callback, requested: Self.twoTokens)
            #expect(approved.tokens.count == 2)
            #expect(Self.claims(approved.tokens[0].value)["sub"] as? String == "bob")

            // Deny: the push still happens; continuing reports user_denied.
            let finish2 = GNAPInteractionFinishState(method: "push", uri: "http://127.0.0.1:\(receiver.port)/push/2")
            let grant2 = try await client.requestGrant(Self.request(start: ["redirect"], finish: finish2))
            let redirect2 = try #require(grant2.interact?["redirect"]?.stringValue)
            let denied = try await browser.decide(consentPath: Self.path(of: redirect2), decision: "deny")
            #expect(denied.status == 200 && denied.body.contains("You denied"))
            let callback2 = try #require(receiver.received.withLock { $0["/push/2"] }.flatMap(GNAPInteractionCallback.init(pushBody:)))
            await #expect(throws: GNAPClientError(.grantError, "", gnapError: GNAPError(.userDenied, ""))) {
                _ = try await client.finishInteraction(grant2, finish: finish2, callback: callback2)
            }
        }
    }

    @Test func pushToALoopbackAddressIsRefusedWithoutAnAllowList() async throws {
        let receiver = try await PushReceiver.start()
        defer { receiver.stop() }
        try await withServer(allowLoopbackPush: false) { server in
            let client = client(server)
            let finish = GNAPInteractionFinishState(method: "push", uri: "http://localhost:\(receiver.port)/push/ssrf")
            let grant = try await client.requestGrant(Self.request(start: ["redirect"], finish: finish))
            let redirect = try #require(grant.interact?["redirect"]?.stringValue)
            let browser = InteractionPageDriver(base: server.base)
            try await browser.signIn(username: Self.alice.0, password: Self.alice.1, next: Self.path(of: redirect))
            let decided = try await browser.decide(consentPath: Self.path(of: redirect), decision: "approve_all")
            #expect(decided.status == 502 && decided.body.contains("could not be told"))
            #expect(receiver.received.withLock { $0.isEmpty }, "the AS never connected to the loopback target")
        }
    }

    // MARK: - User code, routing to a named resource owner, restart

    @Test func userCodeRoutedToANamedOwnerSurvivesARestart() async throws {
        let first = try await start()
        let port = String(first.base.split(separator: ":").last ?? "0")
        let client = client(first)
        let grant = try await client.requestGrant(Self.request(start: ["user_code", "user_code_uri"], finish: nil, owner: "bob"))
        let code = try #require(grant.interact?["user_code"]?.stringValue)
        #expect(code.count == 9 && code.contains("-"))
        if case .object(let codeURI)? = grant.interact?["user_code_uri"] {
            #expect(codeURI["code"]?.stringValue == code && codeURI["uri"]?.stringValue == first.base + "/device")
        } else {
            Issue.record("no user_code_uri in \(String(describing: grant.interact))")
        }
        // Restart between the client's request and the approval: nothing is lost.
        try await first.process.stop()
        let second = try await start(directory: first.directory, port: port)
        do {
            try await approveAfterRestart(second, client: client, grant: grant, code: code)
        } catch {
            try await second.process.stop()
            throw error
        }
        try await second.process.stop()
    }

    func approveAfterRestart(_ second: Server, client: GNAPClient, grant: GNAPGrant, code: String) async throws {
        let alice = InteractionPageDriver(base: second.base)
        try await alice.signIn(username: Self.alice.0, password: Self.alice.1)
        let unknown = try await alice.enterUserCode("ZZZZ-ZZZZ")
        #expect(unknown.status == 400 && unknown.body.contains("not valid"))
        // Typed in lower case with a space: the same code (RFC 9635 §4.1.2).
        let typed = code.lowercased().replacingOccurrences(of: "-", with: " ")
        let notHers = try await alice.enterUserCode(typed)
        #expect(notHers.status == 403 && notHers.body.contains("another person"), "routed to bob: alice may not approve")

        let bob = InteractionPageDriver(base: second.base)
        try await bob.signIn(username: Self.bob.0, password: Self.bob.1)
        let entered = try await bob.enterUserCode(typed)
        #expect(entered.status == 303)
        let consentPath = try #require(entered.location)
        let decided = try await bob.decide(consentPath: consentPath, decision: "approve", rights: ["t1r0"])
        #expect(decided.status == 200 && decided.body.contains("return to the application"))
        let approved = try await client.awaitApproval(grant, requested: Self.twoTokens)
        #expect(approved.tokens.map(\.label) == ["billing"])
        #expect(Self.claims(approved.tokens[0].value)["sub"] as? String == "bob")
    }

    // MARK: - Refusals

    @Test func expiredInteractionsShowTheirOwnPage() async throws {
        try await withServer(lifetime: 1) { server in
            let client = client(server)
            let grant = try await client.requestGrant(Self.request(start: ["redirect"], finish: nil))
            let redirect = try #require(grant.interact?["redirect"]?.stringValue)
            let browser = InteractionPageDriver(base: server.base)
            try await browser.signIn(username: Self.alice.0, password: Self.alice.1)
            try await Task.sleep(for: .milliseconds(1500))
            let page = try await browser.get(Self.path(of: redirect))
            #expect(page.status == 410 && page.body.contains("expired"))
            // A decision posted late, with a valid CSRF token, changes nothing.
            let csrf = try await browser.get("/device").csrf ?? ""
            let late = try await browser.post(Self.path(of: redirect), form: [("csrf", csrf), ("decision", "approve_all")])
            #expect(late.status == 410)
            let polled = try await client.continueGrant(try #require(grant.continuation))
            #expect(polled.isPending, "an expired interaction approved nothing")
        }
    }

    @Test func formsWithoutTheCSRFTokenAndWrongPasswordsAreRefused() async throws {
        try await withServer { server in
            let browser = InteractionPageDriver(base: server.base)
            // Wrong password: 401, the form again, no signed-in session.
            let form = try await browser.get("/signin")
            let wrong = try await browser.post(
                "/signin",
                form: [("csrf", form.csrf ?? ""), ("next", "/device"), ("username", Self.alice.0), ("password", "not-her-password")]
            )
            #expect(wrong.status == 401 && wrong.body.contains("Wrong username or password"))
            let unknownUser = try await browser.post(
                "/signin",
                form: [("csrf", form.csrf ?? ""), ("next", "/device"), ("username", "mallory"), ("password", "whatever-pw")]
            )
            #expect(unknownUser.status == 401)
            #expect(try await browser.get("/device").status == 303, "still signed out")
            // Sign-in without the CSRF token.
            let noToken = try await browser.post(
                "/signin",
                form: [("next", "/device"), ("username", Self.alice.0), ("password", Self.alice.1)]
            )
            #expect(noToken.status == 403)

            let client = client(server)
            let grant = try await client.requestGrant(Self.request(start: ["redirect"], finish: nil))
            let path = Self.path(of: try #require(grant.interact?["redirect"]?.stringValue))
            try await browser.signIn(username: Self.alice.0, password: Self.alice.1)
            // A cross-site form post carries the cookie (on a top-level POST with Lax it would not, but we
            // do not rely on that) but not the token.
            let forged = try await browser.post(path, form: [("decision", "approve_all")])
            #expect(forged.status == 403 && forged.body.contains("Form expired"))
            let wrongToken = try await browser.post(path, form: [("csrf", "guess"), ("decision", "approve_all")])
            #expect(wrongToken.status == 403)
            #expect(try await client.continueGrant(try #require(grant.continuation)).isPending, "nothing was approved")
            // An open redirect through next= is refused.
            let other = InteractionPageDriver(base: server.base)
            let evil = try await other.signIn(username: Self.alice.0, password: Self.alice.1, next: "//evil.example/")
            #expect(evil.location == "/device")
        }
    }

    @Test func usersCommandsManageWhoCanSignIn() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-users-\(UUID().uuidString)")
        let data = ["--data-dir", directory.path]
        let (added, addOutput) = try await TesseraProcess.run(
            ["users", "add", "dave", "--password", "dave-password-1", "--display-name", "Dave"] + data
        )
        #expect(added == 0 && addOutput.contains("saved user dave"))
        let (generated, generatedOutput) = try await TesseraProcess.run(["users", "add", "erin"] + data)
        #expect(generated == 0 && generatedOutput.contains("password: "), "a generated password is printed once")
        let (short, _) = try await TesseraProcess.run(["users", "add", "frank", "--password", "short"] + data)
        #expect(short != 0)
        // A person and a client never share a name, whichever comes first (review round 13, L1).
        let (clientNamedDave, clashOutput) = try await TesseraProcess.run(
            ["clients", "add", "--id", "dave", "--auth", "client_secret_basic", "--grant-types", "client_credentials", "--scopes", "read"]
                + data
        )
        #expect(clientNamedDave != 0, "\(clashOutput)")
        let (clientAdded, _) = try await TesseraProcess.run(
            ["clients", "add", "--id", "svc", "--auth", "client_secret_basic", "--grant-types", "client_credentials", "--scopes", "read"]
                + data
        )
        #expect(clientAdded == 0)
        let (personNamedSvc, personOutput) = try await TesseraProcess.run(["users", "add", "svc", "--password", "svc-password-1"] + data)
        #expect(personNamedSvc != 0, "\(personOutput)")
        let (_, listed) = try await TesseraProcess.run(["users", "list"] + data)
        #expect(listed.contains("dave\tDave") && listed.contains("erin") && !listed.contains("frank") && !listed.contains("svc"))
        #expect(!listed.contains("pbkdf2"), "hashes are never printed")
        // Export carries the users (hashes only); import into another installation lets them sign in there.
        let exportFile = directory.appendingPathComponent("export.json").path
        let (exported, _) = try await TesseraProcess.run(["export", "--output", exportFile] + data)
        #expect(exported == 0)
        let exportText = try String(contentsOfFile: exportFile, encoding: .utf8)
        #expect(
            exportText.contains("\"username\" : \"dave\"") && exportText.contains("pbkdf2-sha256$")
                && !exportText.contains("dave-password-1")
        )
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-users-import-\(UUID().uuidString)")
        let (imported, importOutput) = try await TesseraProcess.run(["import", "--input", exportFile, "--data-dir", other.path])
        #expect(imported == 0 && importOutput.contains("2 users"))
        let (_, otherList) = try await TesseraProcess.run(["users", "list", "--data-dir", other.path])
        #expect(otherList.contains("dave\tDave") && otherList.contains("erin"))

        let process = try await TesseraProcess(data)
        do {
            let dave = InteractionPageDriver(base: process.baseURL)
            #expect(try await dave.signIn(username: "dave", password: "dave-password-1").status == 303)
            let (removed, _) = try await TesseraProcess.run(["users", "remove", "dave"] + data)
            #expect(removed == 0)
            #expect(try await dave.get("/device").status == 303, "removing a user ends their sessions")
            #expect(
                try await InteractionPageDriver(base: process.baseURL).signIn(username: "dave", password: "dave-password-1").status == 401
            )
            // Discovery advertises what the pages support (RFC 9635 §9).
            let (status, discovery) = try await Web.options(process.baseURL + "/gnap")
            #expect(status == 200)
            #expect(discovery["interaction_start_modes_supported"] as? [String] == ["redirect", "app", "user_code", "user_code_uri"])
            #expect(discovery["interaction_finish_methods_supported"] as? [String] == ["redirect", "push"])
        } catch {
            try await process.stop()
            throw error
        }
        try await process.stop()
        let (missing, _) = try await TesseraProcess.run(["users", "remove", "dave"] + data)
        #expect(missing != 0)
        // Tokens carry the username as `sub`: a removed person's name goes to a newcomer only when asked (J8).
        let (reused, _) = try await TesseraProcess.run(["users", "add", "dave", "--password", "dave-password-2"] + data)
        #expect(reused != 0)
        let (forced, forcedOutput) = try await TesseraProcess.run(
            ["users", "add", "dave", "--password", "dave-password-2", "--force"] + data
        )
        #expect(forced == 0 && forcedOutput.contains("saved user dave"))
        let (changed, _) = try await TesseraProcess.run(["users", "add", "dave", "--password", "dave-password-3"] + data)
        #expect(changed == 0, "changing a present user's password is no reuse")
    }

    @Test func appAndRedirectModesShareOneSingleUseInteraction() async throws {
        try await withServer { server in
            let client = client(server)
            let grant = try await client.requestGrant(Self.request(start: ["redirect", "app", "unknown_mode"], finish: nil))
            let redirect = try #require(grant.interact?["redirect"]?.stringValue)
            #expect(grant.interact?["app"]?.stringValue == redirect)
            #expect(grant.interact?["user_code"] == nil, "no mode the client did not ask for (RFC 9635 §3.3)")
            #expect(grant.interact?["finish"] == nil && grant.interact?["expires_in"] != nil)
            let browser = InteractionPageDriver(base: server.base)
            try await browser.signIn(username: Self.alice.0, password: Self.alice.1)
            #expect(try await browser.decide(consentPath: Self.path(of: redirect), decision: "deny").status == 200)
            await #expect(throws: GNAPClientError(.grantError, "", gnapError: GNAPError(.userDenied, ""))) {
                _ = try await client.continueGrant(try #require(grant.continuation))
            }
        }
    }

    @Test func guessingPasswordsAndCodesIsSlowedDown() async throws {
        try await withServer { server in
            let attacker = InteractionPageDriver(base: server.base)
            for _ in 0..<5 {
                #expect(try await attacker.signIn(username: Self.bob.0, password: "guess-password").status == 401)
            }
            // The sixth try is refused before the password is even checked — the right one too.
            let blocked = try await attacker.signIn(username: Self.bob.0, password: Self.bob.1)
            #expect(blocked.status == 429 && blocked.body.contains("Too many attempts"))
            // Other accounts are unaffected.
            let alice = InteractionPageDriver(base: server.base)
            #expect(try await alice.signIn(username: Self.alice.0, password: Self.alice.1).status == 303)
            for _ in 0..<5 {
                #expect(try await alice.enterUserCode("ZZZZ-ZZZZ").status == 400)
            }
            let client = client(server)
            let grant = try await client.requestGrant(Self.request(start: ["user_code"], finish: nil))
            let code = try #require(grant.interact?["user_code"]?.stringValue)
            let sixth = try await alice.enterUserCode(code)
            #expect(sixth.status == 429 && sixth.body.contains("Too many attempts"), "even the right code, after five wrong ones")
            // A fresh session of the same person is not blocked by the guessing one.
            let fresh = InteractionPageDriver(base: server.base)
            try await fresh.signIn(username: Self.alice.0, password: Self.alice.1)
            #expect(try await fresh.enterUserCode(code).status == 303)
        }
    }

    @Test func demoCommandRunsToCompletionWithAutoApprove() async throws {
        let (status, output) = try await TesseraProcess.run(["demo", "gnap", "--auto-approve", "--timeout", "120"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("enter code:") && output.contains("token main: photo-api[read,write] calendar[read]"))
        #expect(output.contains("approved by: demo") && output.contains("demo finished"))
    }
}

/// A client's push endpoint (RFC 9635 §4.2.2) on a loopback port, recording what the AS posts.
final class PushReceiver: Sendable {
    let received = Mutex<[String: [UInt8]]>([:])
    let port: Int
    private let task: Task<Void, any Error>

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    static func start() async throws -> PushReceiver {
        let portBox = Mutex<Int?>(nil)
        let router = Router()
        let sink = ReceivedBox()
        router.post("/push/:id") { request, _ -> HTTPResponse.Status in
            var request = request
            let body = try await request.collectBody(upTo: 4096)
            sink.record(request.uri.path, Array(body.readableBytesView))
            return .ok
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portBox.withLock { $0 = channel.localAddress?.port } }
        )
        let task = Task { try await app.runService() }
        for _ in 0..<200 {
            if portBox.withLock({ $0 }) != nil { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard let port = portBox.withLock({ $0 }) else { throw TesseraProcess.Failure(description: "push receiver did not start") }
        let receiver = PushReceiver(port: port, task: task)
        sink.target.withLock { $0 = receiver }
        return receiver
    }

    func stop() { task.cancel() }

    final class ReceivedBox: Sendable {
        let target = Mutex<PushReceiver?>(nil)
        func record(_ path: String, _ body: [UInt8]) {
            target.withLock { $0?.received.withLock { $0[path] = body } }
        }
    }
}

extension Web {
    /// `OPTIONS url` with its JSON body (GNAP discovery, RFC 9635 §9).
    static func options(_ url: String) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = .OPTIONS
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        return (Int(response.status.code), json)
    }
}
