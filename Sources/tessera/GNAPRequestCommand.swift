import ArgumentParser
import Foundation
import TesseraClient
import TesseraProtocol

/// `tessera gnap request`: try the GNAP protocol from a terminal (RFC 9635 §2–§5). Registered under
/// `tessera gnap` by the GNAP command group.
struct GNAPRequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Send a signed GNAP grant request and follow it until tokens are issued.",
        discussion: """
            The request is signed with an Ed25519 (or P-256) key using the httpsig proofing method. Without --key a \
            fresh key is generated for this run; with --key FILE the private JWK in FILE is used, and written there \
            first if the file does not exist.

            --access takes TYPE or TYPE:action,action (an object with type and actions); prefix with ref: for an \
            access reference string (ref:photos). Repeat --access for several rights. Repeat --label to ask for one \
            token per label, each with all the given rights.

            With --cert FILE and --cert-key FILE (PEM) the client proves with mtls instead (RFC 9635 §7.3.2): the \
            key is the certificate, sent on every TLS connection, and nothing is signed. The AS must terminate TLS \
            with client_certificates: optional (or sit behind a trusted proxy). --ca FILE adds the PEM certificates \
            that the AS's TLS certificate is checked against (e.g. a self-signed one).

            With --poll, a pending grant is polled (honouring the server's wait) until it is approved, for example \
            with `tessera gnap approve GRANT_ID --subject USER --digest DIGEST` (the digest `tessera gnap grants` lists).
            """
    )

    @Option(name: .customLong("as"), help: "The AS base URL or grant endpoint (…/gnap).")
    var authorizationServer: String

    @Option(name: .long, help: "An access right: TYPE, TYPE:action,action, or ref:REFERENCE. Repeatable.")
    var access: [String] = []

    @Option(name: .long, help: "Ask for a labelled token; repeat for several tokens.")
    var label: [String] = []

    @Flag(name: .long, help: "Ask for bearer tokens (the 'bearer' flag) instead of key-bound ones.")
    var bearer = false

    @Option(name: .long, help: "Private JWK file for the client key (created if missing).")
    var key: String?

    @Option(name: .customLong("key-type"), help: "Key type to generate: ed25519 or p256.")
    var keyType: String = "ed25519"

    @Option(name: .long, help: "PEM client certificate (chain, leaf first): prove with mtls instead of httpsig.")
    var cert: String?

    @Option(name: .customLong("cert-key"), help: "PEM private key of --cert.")
    var certKey: String?

    @Option(name: .long, help: "PEM certificates to trust for the AS's TLS certificate (instead of the system roots).")
    var ca: String?

    @Option(name: .long, help: "A user hint: an opaque subject identifier (user.sub_ids).")
    var user: String?

    @Option(name: .long, help: "Ask for subject information in these sub_id formats (e.g. opaque).")
    var subjectFormat: [String] = []

    @Flag(name: .long, help: "Follow the continuation while the grant is pending.")
    var poll = false

    @Option(name: .customLong("max-polls"), help: "Give up polling after this many attempts.")
    var maxPolls: Int = 120

    func validate() throws {
        guard !access.isEmpty else { throw ValidationError("give at least one --access") }
        guard GNAPKeyPair.Kind(keyType) != nil else { throw ValidationError("--key-type must be ed25519 or p256") }
        guard Set(label).count == label.count else { throw ValidationError("--label values must be unique") }
        guard (cert == nil) == (certKey == nil) else { throw ValidationError("--cert and --cert-key go together") }
        guard cert == nil || key == nil else { throw ValidationError("--key (httpsig) and --cert (mtls) are alternatives") }
        for right in access where right.isEmpty || right.hasPrefix(":") {
            throw ValidationError("--access \(right) has no type")
        }
    }

    func run() async throws {
        let keyPair = try loadOrCreateKey()
        let endpoint = Self.grantEndpoint(authorizationServer)
        var configuration = GNAPClient.Configuration(grantEndpoint: endpoint)
        var transport = AsyncHTTPClientTransport()
        var ownsTransport = false
        if let cert, let certKey {
            let certificatePEM = try Self.read(cert), keyPEM = try Self.read(certKey)
            do {
                configuration.mutualTLSCertificate = try GNAPCertificate(pem: certificatePEM)
                transport = try .mutualTLS(certificateChainPEM: certificatePEM, privateKeyPEM: keyPEM, trustRootsPEM: try ca.map(Self.read))
            } catch {
                throw ValidationError("--cert/--cert-key: \(error)")
            }
            ownsTransport = true
        } else if let ca {
            do { transport = try .trusting(rootsPEM: Self.read(ca)) } catch { throw ValidationError("--ca: \(error)") }
            ownsTransport = true
        }
        let client = GNAPClient(configuration: configuration, key: keyPair, transport: transport)
        do {
            try await exchange(client)
        } catch {
            if ownsTransport { try? await transport.shutdown() }
            throw error
        }
        if ownsTransport { try await transport.shutdown() }
    }

    /// Sends the grant request and prints what comes back.
    private func exchange(_ client: GNAPClient) async throws {
        let keyPair = client.key
        let configuration = client.configuration
        let rights = access.map(Self.parseRight)
        let flags = bearer ? ["bearer"] : nil
        let tokens: GNAPTokenRequests =
            label.isEmpty
            ? .single(GNAPTokenRequest(access: rights, flags: flags))
            : .multiple(label.map { GNAPTokenRequest(access: rights, label: $0, flags: flags) })
        var request = GNAPGrantRequest(accessToken: tokens)
        if let user { request.user = .value(subIDs: [["format": .string("opaque"), "id": .string(user)]], assertions: nil) }
        if !subjectFormat.isEmpty { request.subject = GNAPSubjectRequest(subIDFormats: subjectFormat) }

        if let certificate = configuration.mutualTLSCertificate {
            printError("client certificate (mtls) x5t#S256=\(certificate.thumbprint)")
        } else {
            printError("client key kid=\(keyPair.publicJWK.kid ?? "-") thumbprint=\((try? keyPair.thumbprint()) ?? "-")")
        }
        var grant: GNAPGrant
        do {
            grant = try await client.requestGrant(request)
            printJSON(grant.response)
            if grant.isPending, poll {
                grant = try await client.awaitApproval(grant, requested: tokens, maximumPolls: maxPolls) { pending in
                    let id = pending.continuation.map { Self.grantID(from: $0.uri) } ?? "-"
                    let wait = pending.continuation.map { "\($0.wait.components.seconds)s" } ?? "-"
                    printError(
                        "pending: grant \(id); approve with `tessera gnap approve \(id) --subject USER --digest …` (`tessera gnap grants` lists the digest); polling in \(wait)"
                    )
                }
                printJSON(grant.response)
            } else if grant.isPending, let continuation = grant.continuation {
                printError("pending: grant \(Self.grantID(from: continuation.uri)); rerun with --poll to wait for approval")
            }
        } catch let error as GNAPClientError {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        for token in grant.tokens {
            print("token\(token.label.map { " [\($0)]" } ?? ""): \(token.value)")
        }
    }

    private func loadOrCreateKey() throws -> GNAPKeyPair {
        let kind = GNAPKeyPair.Kind(keyType) ?? .ed25519
        guard let key else { return GNAPKeyPair.generate(kind) }
        if FileManager.default.fileExists(atPath: key) {
            let text = try String(contentsOfFile: key, encoding: .utf8)
            do {
                return try GNAPKeyPair(privateJWK: text)
            } catch {
                throw ValidationError("\(key): \(error)")
            }
        }
        let generated = GNAPKeyPair.generate(kind)
        guard
            FileManager.default.createFile(
                atPath: key,
                contents: Data(generated.privateJWKJSON().utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else {
            throw ValidationError("cannot write \(key)")
        }
        printError("wrote a new private key to \(key)")
        return generated
    }

    private static func read(_ path: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch { throw ValidationError("cannot read \(path)") }
    }

    /// `https://as` → `https://as/gnap`; a URL already ending in `/gnap` is kept.
    static func grantEndpoint(_ value: String) -> String {
        let trimmed = value.hasSuffix("/") ? String(value.dropLast()) : value
        return trimmed.hasSuffix("/gnap") ? trimmed : trimmed + "/gnap"
    }

    /// `ref:x` → reference `x`; `type:a,b` → `{"type": "type", "actions": ["a","b"]}`; `type` → `{"type": "type"}`.
    /// A type that is itself a URI (`https://…`) keeps its colon: actions follow the last `:` only if it has no `/` after it.
    static func parseRight(_ value: String) -> GNAPAccessRight {
        if value.hasPrefix("ref:") { return .reference(String(value.dropFirst(4))) }
        if let colon = value.lastIndex(of: ":") {
            let actions = value[value.index(after: colon)...]
            if !actions.isEmpty, !actions.contains("/") {
                let type = String(value[..<colon])
                return .object(GNAPAccessObject(type: type, actions: actions.split(separator: ",").map(String.init)))
            }
        }
        return .object(GNAPAccessObject(type: value))
    }

    /// The last path segment of a continuation URI (`…/gnap/continue/{grant_id}`).
    static func grantID(from uri: String) -> String {
        URL(string: uri)?.lastPathComponent ?? uri
    }
}

private func printJSON(_ value: some Encodable) {
    if let data = try? prettyJSON(value) { print(String(decoding: data, as: UTF8.self)) }
}
