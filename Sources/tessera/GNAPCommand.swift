import ArgumentParser
import Foundation
import TesseraEngine
import TesseraProtocol
import TesseraServer
import TesseraStorage

/// `tessera gnap`: GNAP grants seen from the resource owner's and operator's side.
struct GNAPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gnap",
        abstract: "GNAP grants: list them, approve or deny pending ones.",
        subcommands: [GNAPRequestCommand.self, Grants.self, Approve.self]
    )
}

extension GNAPCommand {
    struct Grants: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List GNAP grants (newest last).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only grants in this state: pending, approved, denied or finalized.") var state: String?

        func run() async throws {
            var filter: GNAPGrantRecord.State?
            if let state {
                guard let parsed = GNAPGrantRecord.State(rawValue: state) else {
                    throw ValidationError("state must be pending, approved, denied or finalized")
                }
                filter = parsed
            }
            let wanted = filter
            let grants = try await global.withDatabase { connection in try await connection.stores.gnap.grants(state: wanted) }
            if grants.isEmpty { print("no grants") }
            let formatter = ISO8601DateFormatter()
            for grant in grants {
                let access = Self.summary(of: grant.request)
                print(
                    "\(grant.id)\t\(grant.state.rawValue)\tclient=\(grant.instanceID ?? "key:" + grant.keyThumbprint.prefix(12))\t\(access)\tcreated \(formatter.string(from: grant.createdAt))"
                )
            }
        }

        /// The requested access types and references, for a person deciding.
        static func summary(of request: String) -> String {
            guard let object = try? JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any] else { return "" }
            let tokens = (object["access_token"] as? [[String: Any]]) ?? (object["access_token"] as? [String: Any]).map { [$0] } ?? []
            let rights = tokens.flatMap { ($0["access"] as? [Any]) ?? [] }.map { right -> String in
                if let reference = right as? String { return reference }
                let object = right as? [String: Any] ?? [:]
                let actions = (object["actions"] as? [String])?.joined(separator: ",") ?? "*"
                return "\(object["type"] as? String ?? "?")[\(actions)]"
            }
            return "access=" + rights.joined(separator: " ")
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve (or --deny) a pending grant as a resource owner.",
            discussion: """
                The client receives its tokens on its next continuation request. An approval is decided as the consent \
                page decides one, with the configuration's policies (--config): a grant routed to another person, or a \
                right the policies refuse this person, is refused (exit 1).
                """
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The grant id (from `tessera gnap grants`).") var grant: String
        @Option(help: "The resource owner approving: becomes the tokens' subject.") var subject: String?
        @Flag(help: "Deny instead of approve.") var deny = false

        func validate() throws {
            if !deny, (subject ?? "").isEmpty { throw ValidationError("--subject is required to approve") }
        }

        func run() async throws {
            let (grantID, approve, owner) = (grant, !deny, deny ? nil : subject)
            let configuration = try global.loadConfiguration()
            let decided = try await global.withDatabase { connection in
                // The engine's out-of-band decision (RFC 9635 §1.4), with the server's policies, never the store directly.
                let issuer = configuration.effectiveIssuer(port: configuration.port)
                var settings = GrantEngine.Configuration(issuer: issuer, tokenEndpoint: issuer + "/token")
                settings.ownerPolicy = configuration.policy
                let database = EngineDatabase(connection)
                let engine = GrantEngine(
                    configuration: settings,
                    database: database,
                    keyRing: database.keyRing(configuration: configuration.keyRingConfiguration, now: { Date() }),
                    jwksFetcher: NoKeySets(),
                    gnap: configuration.gnap,
                    trust: configuration.chaining,
                    now: { Date() }
                )
                do {
                    return try await engine.gnap.decide(grantID: grantID, approve: approve, subject: owner)
                } catch let refusal as GNAPError {
                    throw CommandFailure("grant \(grantID) is not approved: \(refusal.message)")
                }
            }
            guard decided else {
                throw ValidationError("no pending grant with id \(grant)")
            }
            print(deny ? "denied grant \(grant)" : "approved grant \(grant) as \(subject ?? "")")
        }
    }
}

/// Deciding a grant fetches no key set.
private struct NoKeySets: JWKSFetcher {
    func fetchJWKS(from url: String) async throws -> PublicJWKSet { throw CommandFailure("no key set is fetched here") }
}
