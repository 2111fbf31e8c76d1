public import Cedar

/// The one built-in Cedar vocabulary of Tessera's decision point (docs/policy.md): the entity
/// types and actions every decision either door makes is asked in, and the shipped default
/// policies that say today's rules in those words.
///
/// One question per requested right and audience: principal `Client::"<client id>"` (GNAP
/// instances by their `instance_id`, unregistered GNAP keys as `Client::"jkt:<thumbprint>"`),
/// action the engine operation (`token`, `approve`, `refresh`, `exchange`, `redeem`), resource
/// `Scope::"<right>"` (an OAuth scope token or a GNAP access type or reference) or
/// `Resource::"<audience>"`, and the request as context. Introspection and client challenges ask
/// one question each, with this server's `TrustDomain` as resource.
public enum PolicyVocabulary {
    /// The schema an owner's policies are validated against (`tessera policy check`).
    public static let schemaText = """
        // Tessera's decision vocabulary (docs/policy.md).
        // Every decision either door (OAuth 2, GNAP) makes is asked in these words: what a client may
        // obtain (one question per requested right and per audience), who may introspect a token,
        // and which token requests must first prove more about their client (client challenges).

        // A trust domain: this server's own (its issuer) or a peer's.
        entity TrustDomain;
        // A person a token acts for (the token's subject).
        entity User;
        // A simple right: an OAuth scope token or a GNAP access type or reference.
        entity Scope;
        // An audience a token is asked for: an RFC 8707 `resource`, a token exchange `audience`,
        // a GNAP `locations` entry, a peer authorization server's issuer.
        entity Resource;
        // A registered client (OAuth client, GNAP client instance or resource server) or an
        // unregistered GNAP key.
        entity Client in [TrustDomain] = {
            // "oauth" or "gnap": the door the client is registered at.
            door: String,
            // Registered in the client store or the configuration (not trust on first use).
            registered: Bool,
            // What it is registered to obtain: OAuth `scope`, GNAP `allowed_access`.
            scopes: Set<Scope>,
            // The audiences whose tokens it may introspect as a resource server
            // (OAuth `introspection_audiences`, a GNAP resource server's audiences).
            introspectionAudiences: Set<String>,
        };

        // The request, whatever door it came through.
        type Request = {
            // "oauth" or "gnap".
            door: String,
            // The OAuth grant_type, "authorize" at the authorization endpoint, or "gnap".
            grantType: String,
            // Every right asked for in this request.
            scopes: Set<Scope>,
            // The audiences asked for (OAuth `resource` and `audience`, GNAP `locations`).
            audiences: Set<String>,
            // RFC 8693 `requested_token_type`, "" when none is asked for.
            requestedTokenType: String,
            // The chaining peer (chaining.peers[].name) whose grant is redeemed, "" for none.
            peer: String,
            // The person the token would act for, when it is not the client itself.
            user?: User,
            // A redeemed peer grant's or ID-JAG's facts (Action::"redeem"), or the ID token's behind
            // an ID-JAG exchange (Action::"exchange"); absent for every other request.
            chaining?: Chaining,
        };

        // What the engine knows of a chained grant. Every member is optional: which are present
        // depends on the operation. The grant's own claims (`claims`) are open-ended and not declared.
        type Chaining = {
            // redeem: the peer grant's `iss` (the peer's issuer).
            issuer?: String,
            // The mapped subject at this server (redeem), or the ID token's subject (exchange).
            subject?: String,
            // redeem: the grant's `client_id` claim ("" when it has none).
            client_id?: String,
            // redeem: the client presenting the grant here.
            redeeming_client?: String,
            // redeem: the `sub` of the grant's `act` claim ("" when it has none).
            actor?: String,
            // exchange for an ID-JAG: the peer's name (chaining.peers[].name).
            peer?: String,
            // exchange for an ID-JAG: the audience, the peer's issuer.
            audience?: String,
            // exchange for an ID-JAG: the RFC 8707 `resource`s asked for.
            resource?: Set<String>,
            // exchange for an ID-JAG: the ID token's `iss`.
            subject_issuer?: String,
        };

        // A token being introspected (RFC 7662 at /introspect, RFC 9767 §3.3 at GNAP introspection).
        type Introspection = {
            // The door the question came through: "oauth" (/introspect) or "gnap".
            door: String,
            // "introspect".
            grantType: String,
            // The token's rights.
            scopes: Set<Scope>,
            // The token's audiences (`aud`).
            audiences: Set<String>,
            // "access_token" or "refresh_token".
            tokenType: String,
            // The OAuth client the token was issued to (absent for a GNAP client's token).
            holder?: Client,
            // The token's subject, when it is not the client itself.
            user?: User,
        };

        // A token request before any grant is processed (draft-kahrer-oauth-client-challenge-protocol-00).
        type Challenge = {
            door: String,
            grantType: String,
            scopes: Set<Scope>,
            audiences: Set<String>,
            // Seconds since the client was first seen (registered, or its metadata document first fetched).
            clientAgeSeconds: Long,
            // The client is identified by a Client ID Metadata Document URL.
            metadataDocumentClient: Bool,
            // It asks for scopes its metadata document does not declare.
            scopeBeyondMetadata: Bool,
            // Its metadata document's keys changed in the last 24 hours.
            keysChangedRecently: Bool,
            // The request proves a key (DPoP or mTLS).
            senderConstrained: Bool,
            // The `type` of every `authorization_details` entry.
            authorizationDetailsTypes: Set<String>,
            // The largest `amount` anywhere in `authorization_details` (integer part).
            largestAmount: Long,
            // The requirement types the client has already proven for this request.
            evidence: Set<String>,
        };

        // token: a client obtains a right for itself (OAuth client_credentials; GNAP without a person).
        // approve: a person delegates a right to a client (OAuth /authorize; a GNAP grant that waits for a resource owner).
        // refresh, exchange, redeem: a token derived from a parent (refresh token, subject token,
        // authorization code or JWT authorization grant, ID-JAG); an exchange for an ID-JAG has
        // context.requestedTokenType "urn:ietf:params:oauth:token-type:id-jag".
        action token, approve, refresh, exchange, redeem appliesTo {
            principal: [Client],
            resource: [Scope, Resource],
            context: Request,
        };

        // introspect: a resource server or client asks this server what a token carries.
        action introspect appliesTo {
            principal: [Client],
            resource: [TrustDomain],
            context: Introspection,
        };

        // challenge: a token request is admitted. A forbid annotated @challenge("<requirement type>")
        // asks the client for that evidence instead of refusing (docs/client-challenge.md).
        action challenge appliesTo {
            principal: [Client],
            resource: [TrustDomain],
            context: Challenge,
        };
        """

    /// The ID-JAG token type (draft-ietf-oauth-identity-assertion-authz-grant §3), as policies name it.
    static let idJAGType = "urn:ietf:params:oauth:token-type:id-jag"

    /// The shipped default policies: today's configuration keys, said in Cedar. The data they read
    /// (`principal.scopes`, `principal.registered`) comes from the client store and the
    /// configuration file, so a client added at run time is covered without regenerating policies.
    /// Keys that name clients, peers or owners are translated into policies of their own
    /// (``ConfiguredPolicies``).
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
        // the engine checks that ceiling before it asks, so the parent's rights pass here. An ID token
        // carries no authorization: an ID-JAG's scopes are decided by chaining.peers[].id_jag.
        @id("derived-within-parent")
        permit (
            principal is Client,
            action in [Action::"refresh", Action::"exchange", Action::"redeem"],
            resource is Scope
        )
        unless { context.requestedTokenType == "\(idJAGType)" };

        // Audiences: which resources and peers a client may name is checked by resource_indicators,
        // introspection audiences and chaining.peers; policy adds nothing unless the owner forbids.
        // ID-JAG audiences are decided by chaining.peers[].id_jag.
        @id("any-audience")
        permit (
            principal is Client,
            action in [Action::"token", Action::"approve", Action::"refresh", Action::"exchange", Action::"redeem"],
            resource is Resource
        )
        unless { context.requestedTokenType == "\(idJAGType)" };

        // Introspection (RFC 7662 §4, RFC 9767 §3.3): a resource server registered for one of the
        // access token's audiences (introspection_audiences, gnap.resource_servers[].audiences), or
        // the OAuth client the token was issued to (the only one a refresh token is described to).
        @id("introspection-by-audience-or-holder")
        permit (principal is Client, action == Action::"introspect", resource)
        when {
            (context.tokenType == "access_token" && principal.introspectionAudiences.containsAny(context.audiences)) ||
            (context has holder && context.holder == principal)
        };

        // Client challenges: every token request is admitted unless a forbid (the owner's, or
        // client_challenges.policy) refuses it or asks for evidence.
        @id("admit-token-requests")
        permit (principal is Client, action == Action::"challenge", resource);
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
