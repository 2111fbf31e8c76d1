public import Cedar

/// The one built-in Cedar vocabulary of Tessera's decision point (docs/policy.md): the entity
/// types and actions every decision either door makes is asked in, and the shipped default
/// policies that say today's rules in those words.
///
/// One question per requested right: principal `Client::"<client id>"` (GNAP instances by their
/// `instance_id`, unregistered GNAP keys as `Client::"jkt:<thumbprint>"`), action the engine
/// operation (`token`, `approve`, `refresh`, `exchange`, `redeem`), resource `Scope::"<right>"`
/// (an OAuth scope token or a GNAP access type or reference) and the request as context.
public enum PolicyVocabulary {
    /// The schema an owner's policies are validated against (`tessera policy check`).
    public static let schemaText = """
        // Tessera's decision vocabulary (docs/policy.md).
        // Every decision either door (OAuth 2, GNAP) makes about what a client may obtain is one
        // question per requested right, asked in these words.

        // A trust domain: this server's own (its issuer) or a peer's.
        entity TrustDomain;
        // A person a token acts for (the token's subject).
        entity User;
        // A simple right: an OAuth scope token or a GNAP access type or reference.
        entity Scope;
        // A registered client (OAuth client, GNAP client instance) or an unregistered GNAP key.
        entity Client in [TrustDomain] = {
            // "oauth" or "gnap": the door the client is registered at.
            door: String,
            // Registered in the client store or the configuration (not trust on first use).
            registered: Bool,
            // What it is registered to obtain: OAuth `scope`, GNAP `allowed_access`.
            scopes: Set<Scope>,
        };

        // The request, whatever door it came through.
        type Request = {
            // "oauth" or "gnap".
            door: String,
            // The OAuth grant_type, "authorize" at the authorization endpoint, or "gnap".
            grantType: String,
            // Every right asked for in this request.
            scopes: Set<Scope>,
            // The audiences asked for (OAuth `resource`, GNAP `locations`).
            audiences: Set<String>,
            // The person the token would act for, when it is not the client itself.
            user?: User,
        };

        // token: a client obtains a right for itself (OAuth client_credentials; GNAP without a person).
        // approve: a person delegates a right to a client (OAuth /authorize; a GNAP grant that waits for a resource owner).
        // refresh, exchange, redeem: a token derived from a parent (refresh token, subject token,
        // authorization code or JWT authorization grant).
        action token, approve, refresh, exchange, redeem appliesTo {
            principal: [Client],
            resource: [Scope],
            context: Request,
        };
        """

    /// The shipped default policies: today's configuration keys, said in Cedar. The data they read
    /// (`principal.scopes`, `principal.registered`) comes from the client store and the
    /// configuration file, so a client added at run time is covered without regenerating policies.
    public static let defaultPoliciesText = """
        // Shipped defaults (docs/policy.md, "What the defaults say"): today's behaviour in Cedar.

        // clients[].scopes (OAuth) and gnap.instances[].allowed_access (GNAP): a registered
        // client obtains, for itself, what it is registered for.
        @id("registered-scopes-for-itself")
        permit (principal is Client, action == Action::"token", resource is Scope)
        when { principal.registered && principal.scopes.contains(resource) };

        // OAuth /authorize: a person delegates to an OAuth client only scopes it is registered for.
        @id("oauth-delegation-within-registered-scopes")
        permit (principal is Client, action == Action::"approve", resource is Scope)
        when { principal.door == "oauth" && principal.scopes.contains(resource) };

        // GNAP: a resource owner may approve any right for any client instance
        // (gnap.interaction.resource_owners routes the request to the one who may).
        @id("gnap-delegation-by-a-resource-owner")
        permit (principal is Client, action == Action::"approve", resource is Scope)
        when { principal.door == "gnap" };

        // A refresh, a token exchange or a redeemed code or JWT grant carries at most what its parent holds;
        // the engine checks that ceiling before it asks, so the parent's rights pass here.
        @id("derived-within-parent")
        permit (
            principal is Client,
            action in [Action::"refresh", Action::"exchange", Action::"redeem"],
            resource is Scope
        );
        """

    /// The parsed schema; `nil` only if the constant above were broken (checked by
    /// `PolicyVocabularyTests`), and then every owner policy set is refused (fails closed).
    public static let schema: Schema? = try? Schema(parsing: schemaText)

    /// The parsed default policies.
    static let defaultPolicies: PolicySet = {
        do { return try PolicySet(parsing: defaultPoliciesText, filename: "tessera-defaults.cedar") } catch {
            // Checked by `PolicyVocabularyTests`; an empty set permits nothing (fails closed).
            return PolicySet()
        }
    }()
}
