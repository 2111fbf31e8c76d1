/// Every store the engine needs, from one database.
public struct Stores: Sendable {
    public var clients: any ClientStore
    public var tokens: any TokenStore
    public var replay: any ReplayCache
    public var keys: any KeyStore
    public var gnap: any GNAPStore
    /// Clients known by metadata document URL: first sight and changes.
    public var clientMetadata: any ClientMetadataStore
    /// Outstanding client challenges.
    public var challenges: any ClientChallengeStore
    /// Users and browser sessions of the interaction pages.
    public var people: any PeopleStore
    /// GNAP interactions (RFC 9635 §4).
    public var interactions: any GNAPInteractionStore
    /// Resource sets registered by GNAP resource servers (RFC 9767 §3.4).
    public var resourceSets: any GNAPResourceSetStore
    /// Authorization requests and codes of the OAuth authorization endpoint (RFC 6749 §4.1, RFC 9126).
    public var authorizationCodes: any AuthorizationCodeStore
    /// Answers whether the database can be reached (`/readyz`).
    public var health: @Sendable () async -> Bool
    /// A short description for logs, without credentials (e.g. `sqlite:tessera-data/tessera.sqlite`).
    public var displayName: String

    public init(
        clients: any ClientStore,
        tokens: any TokenStore,
        replay: any ReplayCache,
        keys: any KeyStore,
        gnap: any GNAPStore,
        clientMetadata: any ClientMetadataStore,
        challenges: any ClientChallengeStore,
        people: any PeopleStore,
        interactions: any GNAPInteractionStore,
        resourceSets: any GNAPResourceSetStore,
        authorizationCodes: any AuthorizationCodeStore,
        health: @escaping @Sendable () async -> Bool,
        displayName: String
    ) {
        self.clients = clients
        self.tokens = tokens
        self.replay = replay
        self.keys = keys
        self.gnap = gnap
        self.clientMetadata = clientMetadata
        self.challenges = challenges
        self.people = people
        self.interactions = interactions
        self.resourceSets = resourceSets
        self.authorizationCodes = authorizationCodes
        self.health = health
        self.displayName = displayName
    }
}
