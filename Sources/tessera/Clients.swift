import ArgumentParser
import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage

extension Tessera {
    /// `tessera clients`: register, list and remove OAuth clients in the server's database.
    struct Clients: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage registered clients (in the same database the server uses).",
            subcommands: [Add.self, AddInstance.self, AddResourceServer.self, List.self, Show.self, Remove.self, RegistrationToken.self]
        )
    }
}

extension Tessera.Clients {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a client.",
            discussion: "Without --secret, a shared-secret client gets a generated 256-bit secret, printed once."
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: "The client_id.")
        var id: String

        @Option(help: "client_secret_basic, client_secret_post, private_key_jwt or none.")
        var auth: String

        @Option(help: "The client secret (at least 32 characters); omit to generate one.")
        var secret: String?

        @Option(help: "File with the client's public JWK Set (private_key_jwt).")
        var jwks: String?

        @Option(name: .customLong("jwks-uri"), help: "URL of the client's JWK Set (private_key_jwt).")
        var jwksURI: String?

        @Option(name: .customLong("grant-types"), help: "Comma-separated grant types, e.g. client_credentials,refresh_token.")
        var grantTypes: String

        @Option(help: "Space-separated scopes the client may request, e.g. \"read write\".")
        var scopes: String = ""

        @Option(name: .customLong("redirect-uri"), help: "A redirect URI for authorization_code (repeat for several); matched exactly.")
        var redirectURIs: [String] = []

        @Option(
            name: .customLong("introspection-audience"),
            help:
                "A token audience this client serves as a resource server (repeat for several): it may introspect tokens for it (RFC 7662 §4)."
        )
        var introspectionAudiences: [String] = []

        @Flag(name: .customLong("require-par"), help: "Require pushed authorization requests (RFC 9126) from this client.")
        var requirePAR = false

        @Option(help: "The name people see on the consent pages (client_name), shown as registered by the operator.")
        var name: String?

        @Flag(
            name: .customLong("require-resource"),
            help: "Refuse this client's authorization and token requests that name no resource (RFC 8707; invalid_target)."
        )
        var requireResource = false

        func run() async throws {
            var jwksText: String?
            if let jwks {
                do { jwksText = try String(contentsOfFile: jwks, encoding: .utf8) } catch {
                    throw ValidationError("cannot read --jwks file \(jwks)")
                }
            }
            var definition = ClientDefinition(
                id: id,
                auth: auth,
                secret: secret,
                jwks: jwksText,
                jwksURI: jwksURI,
                grantTypes: grantTypes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                scopes: scopes
            )
            definition.redirectURIs = redirectURIs
            definition.requirePushedAuthorizationRequests = requirePAR
            definition.introspectionAudiences = introspectionAudiences
            definition.clientName = name
            definition.requireResource = requireResource
            let validated: ValidatedClient
            do { validated = try definition.validated(now: Date()) } catch { throw ValidationError(error.description) }
            let record = validated.record
            do {
                try await global.withDatabase { connection in
                    let clients = connection.stores.clients
                    if try await connection.stores.people.user(username: record.id) != nil {
                        throw ValidationError("'\(record.id)' is a person's username: \(PartyNames.rule)")
                    }
                    // A party registered only at the GNAP door gains its OAuth registration: one party (issue 19).
                    if let existing = try await clients.client(id: record.id), !existing.usesOAuth {
                        var joined = record
                        joined.gnap = existing.gnap
                        try await clients.upsert(joined)
                    } else {
                        try await clients.insert(record)
                    }
                }
            } catch let error as StorageError where error.code == .conflict {
                throw ValidationError(error.message)
            }
            print("registered client \(validated.record.id) (\(validated.record.authMethod))")
            if let secret = validated.generatedSecret {
                print("client_secret: \(secret)")
                print("Store this secret now: Tessera keeps only a hash of it and cannot show it again.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered clients (self-registered ones are marked dynamic).")
        @OptionGroup var global: GlobalOptions

        /// The name a self-registered client gave itself (RFC 7591 `client_name`), quoted: nobody verified it.
        static func name(of client: ClientRecord) -> String {
            guard let metadata = client.registration?.metadata,
                let name = (try? JSONDecoder().decode(ClientRegistrationMetadata.self, from: Data(metadata.utf8)))?.clientName
            else { return "" }
            return "\tclient_name=\"\(String(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init)))\""
        }

        /// The party's GNAP roles (issue 19, one registry), tab-separated, or nothing.
        static func gnapRoles(of client: ClientRecord) -> String {
            guard let gnap = client.gnap else { return "" }
            var text = "\tgnap_key=\(gnap.key.proof.method):\(gnap.keyThumbprint.prefix(16))"
            if let instance = gnap.instance { text += "\tgnap_instance allowed_access=\(instance.allowedAccess.joined(separator: ","))" }
            if let server = gnap.resourceServer { text += "\tgnap_resource_server audiences=\(server.audiences.joined(separator: ","))" }
            return text + (gnap.fromConfiguration ? "\t(from the configuration file)" : "")
        }

        func run() async throws {
            let clients = try await global.withDatabase { connection in try await connection.stores.clients.all() }
            if clients.isEmpty { print("no clients registered") }
            for client in clients {
                let grants = client.grantTypes.map(\.rawValue).joined(separator: ",")
                print(
                    "\(client.id)\tauth=\(client.authMethod)\tgrant_types=\(grants)\tscopes=\"\(client.scopes.joined(separator: " "))\""
                        + (client.redirectURIs.isEmpty ? "" : "\tredirect_uris=\(client.redirectURIs.joined(separator: ","))")
                        + (client.introspectionAudiences.isEmpty
                            ? "" : "\tintrospection_audiences=\(client.introspectionAudiences.joined(separator: ","))")
                        + (client.clientName.map { "\tclient_name=\"\($0)\" (operator)" } ?? "")
                        + (client.requireResource ? "\trequire_resource" : "")
                        + (client.registration == nil ? "" : "\tdynamic (self-registered, unverified)\(Self.name(of: client))")
                        + Self.gnapRoles(of: client)
                )
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a client and revoke the tokens issued to it.",
            aliases: ["delete"]
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The client_id to remove.") var id: String

        func run() async throws {
            let id = self.id
            let (removed, revoked) = try await global.withDatabase { connection in
                guard try await connection.stores.clients.remove(id: id) else { return (false, 0) }
                return (true, try await connection.stores.tokens.revokeTokens(clientID: id, at: Date()))
            }
            guard removed else { throw ValidationError("no client with id '\(id)'") }
            print("removed client \(id) (revoked \(revoked) tokens)")
        }
    }
}
