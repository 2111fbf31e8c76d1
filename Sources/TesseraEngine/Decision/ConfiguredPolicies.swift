import TesseraProtocol

/// Today's configuration keys that name clients, peers and people, translated into Cedar policies
/// of the one vocabulary (docs/policy.md, "Configuration keys as policies"). They are written once,
/// when the engine is built, and evaluated beside the shipped defaults (and replaced with them by
/// `policy.replace_defaults`), so `tessera policy show` prints exactly what decides.
///
/// | key | policy |
/// |---|---|
/// | `chaining.peers[].id_jag.clients`, `.resources` | permit `exchange` of those clients to `Resource::"<peer issuer>"` and its resources, for an ID-JAG |
/// | `chaining.peers[].id_jag.scopes` | permit `exchange` of those clients to those scopes and `authorization_details` types, for an ID-JAG for that peer |
/// | `chaining.id_jag_policy_file` | permit every ID-JAG here; the file, translated (``PolicyTranslation``), refuses |
/// | `chaining.peers[].scopes` | forbid `redeem` of any other scope from that peer's grants |
/// | `chaining.peers[].id_jag.scopes` of a peer whose keys we know | forbid `redeem` of any other scope or type from its ID-JAGs |
/// | `gnap.interaction.resource_owners` | forbid `approve` of that right by anyone but its owner |
public enum ConfiguredPolicies {
    /// The source name policies written here carry.
    public static let source = "tessera-configuration.cedar"

    /// The policies for a configuration; empty when no such key is set.
    /// - Parameters:
    ///   - trust: the `chaining:` section.
    ///   - resourceOwners: `gnap.interaction.resource_owners` (right → owner).
    /// - Returns: Cedar policy text.
    public static func text(trust: TrustConfiguration, resourceOwners: [String: String]) -> String {
        var text = ""
        let idJAG = literal(PolicyVocabulary.idJAGType)
        for peer in trust.peers {
            let name = literal(peer.name)
            if let settings = peer.idJAG {
                let resources = set("Resource", [peer.issuer] + settings.resources)
                if trust.idJAGPolicy != nil {
                    text += """
                        // chaining.id_jag_policy_file (translated into its own layer) decides which clients get ID-JAGs for \(name).
                        @id(\(literal("chaining.peers[\(peer.name)].id_jag")))
                        permit (principal is Client, action == Action::"exchange", resource)
                        when { context.requestedTokenType == \(idJAG) && context.audiences.contains(\(literal(peer.issuer))) };


                        """
                } else if !settings.clients.isEmpty {
                    let clients = set("Client", settings.clients)
                    text += """
                        // chaining.peers[\(peer.name)].id_jag.clients and .resources: who gets ID-JAGs for this peer, naming what.
                        @id(\(literal("chaining.peers[\(peer.name)].id_jag.clients")))
                        permit (principal is Client, action == Action::"exchange", resource is Resource)
                        when { context.requestedTokenType == \(idJAG) && \(clients).contains(principal) && \(resources).contains(resource) };


                        """
                    if !settings.scopes.isEmpty {
                        text += """
                            // chaining.peers[\(peer.name)].id_jag.scopes: the scopes and types those ID-JAGs may carry.
                            @id(\(literal("chaining.peers[\(peer.name)].id_jag.scopes")))
                            permit (principal is Client, action == Action::"exchange", resource is Scope)
                            when {
                                context.requestedTokenType == \(idJAG) && context.audiences.contains(\(literal(peer.issuer))) &&
                                \(clients).contains(principal) && \(set("Scope", settings.scopes.tokens)).contains(resource)
                            };


                            """
                    }
                }
            }
            // chaining.peers[].id_jag.scopes where the peer's ID-JAGs are redeemed here (resource AS role): the most
            // they yield, as a peer's `scopes` (eighth review, F6: the setting was silently ignored in this role).
            if let settings = peer.idJAG, peer.acceptsGrants, !settings.scopes.isEmpty {
                text += """
                    // chaining.peers[\(peer.name)].id_jag.scopes: the most an ID-JAG from this IdP yields here.
                    @id(\(literal("chaining.peers[\(peer.name)].id_jag.scopes.redeem")))
                    forbid (principal, action == Action::"redeem", resource is Scope)
                    when { context.peer == \(name) && !\(set("Scope", settings.scopes.tokens)).contains(resource) };


                    """
            }
            if let cap = peer.scopes {
                text += """
                    // chaining.peers[\(peer.name)].scopes: the most a grant from this peer yields here.
                    @id(\(literal("chaining.peers[\(peer.name)].scopes")))
                    forbid (principal, action == Action::"redeem", resource is Scope)
                    when { context.peer == \(name) && !\(set("Scope", cap.tokens)).contains(resource) };


                    """
            }
        }
        for (right, owner) in resourceOwners.sorted(by: { $0.key < $1.key }) {
            text += """
                // gnap.interaction.resource_owners: only \(literal(owner)) approves \(literal(right)).
                @id(\(literal("gnap.interaction.resource_owners[\(right)]")))
                forbid (principal, action == Action::"approve", resource == Scope::\(literal(right)))
                when { context.door == "gnap" && context has user && context.user != User::\(literal(owner)) };


                """
        }
        return text
    }

    /// `[Type::"a", Type::"b"]`.
    static func set(_ type: String, _ ids: [String]) -> String {
        "[" + ids.map { "\(type)::\(literal($0))" }.joined(separator: ", ") + "]"
    }

    /// A Cedar string literal, escaped so no configured name can end it early.
    static func literal(_ value: String) -> String {
        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case _ where scalar.value < 0x20 || scalar.value > 0x7E: escaped += "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }
}
