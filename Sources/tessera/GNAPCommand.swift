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
        static let configuration = CommandConfiguration(
            abstract: "List GNAP grants (newest last).",
            discussion: """
                A pending grant's line ends with digest=…: the request as listed, which `tessera gnap approve --digest` \
                names. A client that modifies its grant afterwards (RFC 9635 §5.3) changes the digest.
                """
        )
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
                let digest = grant.state == .pending ? "\tdigest=" + ((try? GNAPService.consentDigest(ofStored: grant.request)) ?? "?") : ""
                print(
                    "\(grant.id)\t\(grant.state.rawValue)\tclient=\(grant.instanceID ?? "key:" + grant.keyThumbprint.prefix(12))\t\(access)\tcreated \(formatter.string(from: grant.createdAt))\(digest)"
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
                let locations = (object["locations"] as? [String]).map { "@" + $0.joined(separator: ",") } ?? ""
                return "\(object["type"] as? String ?? "?")[\(actions)]\(locations)"
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
                right the policies refuse this person, is refused (exit 1). It names the request it approves with \
                --digest, as `tessera gnap grants --state pending` lists it: a grant the client modified since asks \
                for something else, and is refused (exit 1, showing what it now asks and its digest). A denial needs no digest.
                """
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The grant id (from `tessera gnap grants`).") var grant: String
        @Option(help: "The resource owner approving: becomes the tokens' subject.") var subject: String?
        @Option(help: "The digest `tessera gnap grants` lists for the grant: only that request is approved.") var digest: String?
        @Flag(help: "Deny instead of approve.") var deny = false

        func validate() throws {
            if !deny, (subject ?? "").isEmpty { throw ValidationError("--subject is required to approve") }
        }

        func run() async throws {
            let (grantID, approve, owner, digest) = (grant, !deny, deny ? nil : subject, digest)
            let configuration = try global.loadConfiguration()
            let decided: String? = try await global.withDatabase { connection in
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
                    guard try await engine.gnap.decide(grantID: grantID, approve: approve, subject: owner, digest: digest) else {
                        return nil
                    }
                } catch let refusal as GNAPError {
                    // What the grant asks now, so the operator sees what an approval would be of.
                    let now = try await connection.stores.gnap.grant(id: grantID).map { grant in
                        "\n  it asks: \(Grants.summary(of: grant.request))\n  digest=\((try? GNAPService.consentDigest(ofStored: grant.request)) ?? "?")"
                    }
                    throw CommandFailure("grant \(grantID) is not approved: \(refusal.message)\(now ?? "")")
                }
                return try await connection.stores.gnap.grant(id: grantID).map { Grants.summary(of: $0.request) } ?? ""
            }
            guard let decided else {
                throw ValidationError("no pending grant with id \(grant)")
            }
            print(deny ? "denied grant \(grant)" : "approved grant \(grant) as \(subject ?? ""): \(decided)")
        }
    }
}

/// Deciding a grant fetches no key set.
private struct NoKeySets: JWKSFetcher {
    func fetchJWKS(from url: String) async throws -> PublicJWKSet { throw CommandFailure("no key set is fetched here") }
}
