import ArgumentParser
import Foundation
import TesseraServer
import TesseraStorage

extension Tessera {
    /// `tessera tokens`: look into the token ledger.
    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect issued tokens (in the same database the server uses).",
            subcommands: [Trace.self]
        )
    }
}

extension Tessera.Tokens {
    /// `tessera tokens trace <jti>`: a token's ancestry up to its root and every token derived from it.
    struct Trace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a token's ancestry (up to its root) and its descendants, with state, kind, client and audience.",
            discussion: """
                Revoking a token revokes every descendant shown here (docs/SECURITY.md, "Revocation cascades along derivation edges"). \
                Kinds: refresh (refreshed within its family), consent (issued under a remembered consent), gnap (a GNAP grant's token), \
                exchange (exchanged from its parent, RFC 8693), jwt_grant (redeemed from a JWT authorization grant, RFC 7523), root.
                """
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token's jti.") var jti: String
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let jti = self.jti
            let (token, ancestors, descendants) = try await global.withDatabase { connection in
                let tokens = connection.stores.tokens
                return (try await tokens.accessToken(jti: jti), try await tokens.ancestry(of: jti), try await tokens.descendants(of: jti))
            }
            guard let token else { throw CommandFailure("no token with jti '\(jti)' in the ledger (unknown, or expired and removed)") }
            let trace = TokenTrace(token: token, ancestors: ancestors, descendants: descendants, now: Date())
            if json {
                FileHandle.standardOutput.write(try prettyJSON(trace.document))
                FileHandle.standardOutput.write(Data("\n".utf8))
            } else {
                print(trace.text, terminator: "")
            }
        }
    }
}

/// A token's place in the ledger's derivation tree, as text or JSON.
struct TokenTrace {
    struct Node: Encodable {
        var jti: String
        var state: String
        var kind: String
        var parent: String?
        var grant: String
        var client: String
        var audience: [String]
        var children: [Node]?
    }

    struct Document: Encodable {
        var token: Node
        /// Root first.
        var ancestors: [Node]
        var descendants: [Node]
    }

    let token: AccessTokenRecord
    let ancestors: [AccessTokenRecord]
    /// Every descendant, each under the token it derives from (a token refreshed in a derived family hangs under the family's first token).
    let children: [String: [AccessTokenRecord]]
    let now: Date

    init(token: AccessTokenRecord, ancestors: [AccessTokenRecord], descendants: [AccessTokenRecord], now: Date) {
        self.token = token
        self.ancestors = ancestors
        self.now = now
        var firstOfGrant: [String: String] = [:]
        var children: [String: [AccessTokenRecord]] = [:]
        for record in descendants {
            let first = firstOfGrant[record.grantID]
            if first == nil { firstOfGrant[record.grantID] = record.jti }
            let parent = record.parent?.tokenID ?? first ?? token.jti
            children[parent, default: []].append(record)
        }
        self.children = children
    }

    func node(_ record: AccessTokenRecord, withChildren: Bool) -> Node {
        let state = record.revokedAt != nil ? "revoked" : now >= record.expiresAt ? "expired" : "active"
        var node = Node(
            jti: record.jti,
            state: state,
            kind: record.parent?.derivation.rawValue ?? "root",
            parent: record.parent?.id,
            grant: record.grantID,
            client: record.clientID,
            audience: record.audience
        )
        if withChildren { node.children = (children[record.jti] ?? []).map { self.node($0, withChildren: true) } }
        return node
    }

    var document: Document {
        Document(
            token: node(token, withChildren: false),
            ancestors: ancestors.map { node($0, withChildren: false) },
            descendants: (children[token.jti] ?? []).map { node($0, withChildren: true) }
        )
    }

    var text: String {
        var out = ""
        func line(_ node: Node, depth: Int, marker: String) {
            let via = node.parent.map { " from \($0)" } ?? ""
            out +=
                String(repeating: "  ", count: depth) + marker
                + "\(node.jti)  \(node.state)  \(node.kind)\(via)  grant=\(node.grant)  client=\(node.client)  aud=\(node.audience.joined(separator: ","))\n"
        }
        func tree(_ node: Node, depth: Int) {
            line(node, depth: depth, marker: "└ ")
            for child in node.children ?? [] { tree(child, depth: depth + 1) }
        }
        let document = document
        out += "ancestry (root first):\n"
        if document.ancestors.isEmpty { out += "  (none: the token is a root)\n" }
        for ancestor in document.ancestors { line(ancestor, depth: 1, marker: "") }
        out += "token:\n"
        line(document.token, depth: 1, marker: "")
        out += "descendants:\n"
        if document.descendants.isEmpty { out += "  (none)\n" }
        for child in document.descendants { tree(child, depth: 1) }
        return out
    }
}
