import ArgumentParser
import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage

/// `tessera clients add-instance | add-resource-server | show`: GNAP client instances and resource
/// servers in the one client store (issue 19, "one registry"). A GNAP role added to an existing id joins
/// that party (one registration for both doors); `tessera clients remove` removes the whole party and
/// revokes what was issued to it.
extension Tessera.Clients {
    struct AddInstance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-instance",
            abstract: "Register a GNAP client instance (RFC 9635 §2.3.1), or add the role to an existing client id."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "The instance_id (an existing OAuth client id joins that party).") var id: String
        @Option(help: "File with the instance's key as GNAP JSON: {\"proof\": \"httpsig\", \"jwk\": {…, \"alg\", \"kid\"}}.") var key:
            String
        @Option(name: .customLong("allowed-access"), help: "An access type or reference granted without a resource owner (repeat).")
        var allowedAccess: [String] = []
        @Flag(name: .customLong("allow-bearer"), help: "Allow bearer tokens (flags: [\"bearer\"]).") var allowBearer = false
        @Option(name: .customLong("display-name"), help: "The name shown to people on consent pages.") var displayName: String?

        func run() async throws {
            let role = GNAPRegistration.Instance(displayName: displayName, allowedAccess: allowedAccess, allowBearer: allowBearer)
            try await GNAPRoles.add(id: id, keyFile: key, global: global) { $0.instance = role }
            print("registered GNAP instance \(id)")
        }
    }

    struct AddResourceServer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-resource-server",
            abstract: "Register a GNAP resource server (RFC 9767), or add the role to an existing client id."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "The resource server's id (an existing client id joins that party).") var id: String
        @Option(help: "File with the RS key as GNAP JSON: {\"proof\": \"httpsig\", \"jwk\": {…}} or {\"proof\": \"mtls\", \"cert\": …}.")
        var key: String
        @Option(name: .customLong("audience"), help: "A token audience this RS serves (repeat; at least one).") var audiences: [String] = []

        func run() async throws {
            guard !audiences.isEmpty else { throw ValidationError("--audience is required (at least one)") }
            let role = GNAPRegistration.ResourceServer(audiences: audiences)
            try await GNAPRoles.add(id: id, keyFile: key, global: global) { $0.resourceServer = role }
            print("registered GNAP resource server \(id)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one client: its OAuth and GNAP registrations (no secrets).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The client id.") var id: String

        func run() async throws {
            let id = self.id
            let record = try await global.withDatabase { connection in try await connection.stores.clients.client(id: id) }
            guard let record else { throw ValidationError("no client with id '\(id)'") }
            var shown: [String: JSONValue] = ["id": .string(record.id)]
            if record.usesOAuth {
                shown["oauth"] = .object([
                    "auth_method": .string(record.authMethod.rawValue),
                    "grant_types": .array(record.grantTypes.map { .string($0.rawValue) }),
                    "scopes": .array(record.scopes.map(JSONValue.string)),
                    "redirect_uris": .array(record.redirectURIs.map(JSONValue.string)),
                    "introspection_audiences": .array(record.introspectionAudiences.map(JSONValue.string)),
                    "dynamic": .bool(record.registration != nil),
                    "require_resource": .bool(record.requireResource),
                ])
            }
            if let gnap = record.gnap {
                shown["gnap"] = try JSONDecoder().decode(JSONValue.self, from: Data(try gnap.storedJSON().utf8))
            }
            print(String(decoding: try prettyJSON(shown), as: UTF8.self))
        }
    }
}

/// Adding a GNAP role to a party, shared by the two `add-` commands.
enum GNAPRoles {
    /// Reads the key, checks it, and stores the party with the role `apply` sets: a new GNAP-only party,
    /// or the existing one with that id (its other roles kept when the key is the same).
    /// - Parameters:
    ///   - id: the party id.
    ///   - keyFile: path of the key's GNAP JSON.
    ///   - global: the database options.
    ///   - apply: sets the role on the registration.
    /// - Throws: `ValidationError` for a bad key, a key change, or a key another party holds.
    static func add(
        id: String,
        keyFile: String,
        global: GlobalOptions,
        apply: @escaping @Sendable (inout GNAPRegistration) -> Void
    ) async throws {
        // The same gate every presented client or instance id passes (PresentedIdentifier), so an id stored
        // here is one a request can name.
        do { _ = try PresentedIdentifier.canonical(id, as: .clientID) } catch { throw ValidationError("--id: \(error.message)") }
        let key: GNAPKey
        do {
            key = try JSONDecoder().decode(GNAPKey.self, from: Data(contentsOf: URL(fileURLWithPath: keyFile)))
        } catch {
            throw ValidationError("cannot read a GNAP key from \(keyFile): \(error)")
        }
        let checked: GNAPRegistration
        do { checked = try GNAPRegistry.registration(key: key, instance: nil, resourceServer: nil) } catch {
            throw ValidationError(error.description)
        }
        do {
            try await global.withDatabase { connection in
                let clients = connection.stores.clients
                if try await connection.stores.people.user(username: id) != nil {
                    throw ValidationError("'\(id)' is a person's username: \(PartyNames.rule)")
                }
                var record = try await clients.client(id: id) ?? .gnapOnly(id: id, gnap: checked, createdAt: Date())
                var registration = checked
                if let existing = record.gnap {
                    guard existing.keyThumbprint == checked.keyThumbprint else {
                        throw ValidationError("'\(id)' is registered with another GNAP key; remove it first to change keys")
                    }
                    registration = existing
                    registration.fromConfiguration = false
                }
                apply(&registration)
                record.gnap = registration
                try await clients.upsert(record)
            }
        } catch let error as StorageError where error.code == .conflict {
            throw ValidationError(error.message)
        }
    }
}
