import ArgumentParser
import Foundation
import Logging
import TesseraClient
import TesseraEngine
import TesseraProtocol
import TesseraServer

/// `tessera demo gnap`: an AS on a loopback port with a demo user, and a GNAP client that asks for
/// access with a user code (RFC 9635 §4.1.2) and waits until a person approves in the browser.
struct GNAPDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gnap",
        abstract: "Start an AS and a GNAP client that waits for you to approve its request in a browser.",
        discussion: """
            The AS keeps its data in a fresh temporary folder, listens on 127.0.0.1 and has one user \
            (--username, with a generated password unless --password is given). The client asks for two \
            access rights with the user_code start mode and prints the code and the page to enter it on. \
            Sign in, enter the code, tick what you allow and approve: the client then prints the tokens it got. \
            --auto-approve does the browser's part itself (sign in, enter the code, approve all).
            """
    )

    @Option(help: "Port for the AS; 0 picks a free one.") var port: Int = 0
    @Option(help: "The demo user's name.") var username: String = "demo"
    @Option(help: "The demo user's password (default: generated and printed).") var password: String?
    @Flag(name: .customLong("auto-approve"), help: "Approve in a scripted browser session instead of waiting for a person.")
    var autoApprove = false
    @Option(name: .customLong("timeout"), help: "Give up after this many seconds.") var timeout: Int = 600

    func run() async throws {
        DemoNarration.quietLogs()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = password ?? String(ClientSecret.generate().prefix(16))
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = port
        configuration.dataDirectory = directory.path
        configuration.users = [UserDefinition(username: username, password: secret, displayName: "Demo user")]
        configuration.gnap.continuationWait = 1
        let server: TesseraApplication
        do {
            server = try await buildApplication(configuration, dependencies: ServerDependencies(logger: Logger(label: "tessera")))
        } catch let error as ConfigurationError {
            throw CommandFailure(error.description)
        }
        let base = server.baseURL
        let (username, autoApprove, timeout) = (self.username, self.autoApprove, self.timeout)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            group.addTask {
                try await Self.runClient(base: base, username: username, password: secret, autoApprove: autoApprove)
            }
            group.addTask {
                try await Task.sleep(for: .seconds(timeout))
                throw ValidationError("no decision within \(timeout) seconds")
            }
            // The client (or the timeout) finishes first; then the server stops.
            _ = try await group.next()
            group.cancelAll()
        }
    }

    static func runClient(base: String, username: String, password: String, autoApprove: Bool) async throws {
        try await waitUntilUp(base)
        var clientConfiguration = GNAPClient.Configuration(grantEndpoint: base + "/gnap")
        clientConfiguration.display = GNAPDisplay(name: "Tessera demo client", uri: "https://example.com/tessera-demo")
        clientConfiguration.maximumPolls = 100_000
        let client = GNAPClient(configuration: clientConfiguration, key: GNAPKeyPair.generate(.ed25519))
        let tokens: GNAPTokenRequests = .multiple([
            GNAPTokenRequest(
                access: [
                    .object(GNAPAccessObject(type: "photo-api", actions: ["read", "write"], locations: ["https://photos.example.com/"])),
                    .object(GNAPAccessObject(type: "calendar", actions: ["read"], locations: ["https://calendar.example.com/"])),
                ],
                label: "main"
            )
        ])
        let request = GNAPGrantRequest(
            accessToken: tokens,
            subject: GNAPSubjectRequest(subIDFormats: ["opaque"]),
            interact: GNAPInteractRequest(start: [.string("user_code"), .string("user_code_uri")])
        )
        let grant = try await client.requestGrant(request)
        guard let code = grant.interact?["user_code"]?.stringValue else {
            throw ValidationError("the AS offered no user code")
        }
        print(
            """

            Tessera demo: an authorization server is running at \(base)
              sign in as:   \(username) / \(password)
              open:         \(base)/device
              enter code:   \(code)

            The client is waiting for your decision (Ctrl-C to stop).

            """
        )
        if autoApprove {
            let browser = InteractionPageDriver(base: base)
            let signedIn = try await browser.signIn(username: username, password: password)
            guard signedIn.status == 303 else { throw ValidationError("scripted sign-in failed (HTTP \(signedIn.status))") }
            let entered = try await browser.enterUserCode(code)
            guard entered.status == 303, let consent = entered.location else {
                throw ValidationError("the user code was refused (HTTP \(entered.status))")
            }
            let decided = try await browser.decide(consentPath: consent, decision: "approve_all")
            guard decided.status == 200 else { throw ValidationError("approval failed (HTTP \(decided.status))") }
            print("auto-approve: signed in as \(username), entered \(code), approved all")
        }
        let approved = try await client.awaitApproval(grant, requested: tokens)
        for token in approved.tokens {
            let rights = token.access.map { right -> String in
                guard case .object(let object) = right else { return right.typeOrReference }
                return "\(object.type)[\((object.actions ?? []).joined(separator: ","))]"
            }
            print("token \(token.label ?? "-"): \(rights.joined(separator: " ")) (expires in \(token.expiresIn ?? 0) s, key-bound)")
        }
        if let subject = approved.subject?.subIDs?.first?["id"]?.stringValue { print("approved by: \(subject)") }
        print("demo finished")
    }

    static func waitUntilUp(_ base: String) async throws {
        let probe = InteractionPageDriver(base: base)
        for _ in 0..<200 {
            if let page = try? await probe.get("/healthz"), page.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("the demo AS did not start")
    }
}
