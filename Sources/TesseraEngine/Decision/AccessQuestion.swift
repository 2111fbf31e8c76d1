public import TesseraProtocol

/// A door-neutral question to the decision point: which client, for whom, doing which engine
/// operation, asking for which rights and audiences. Each door translates its wire request into
/// one of these (the OAuth token and authorization endpoints, the GNAP grant endpoint); the
/// decision point never sees a form or a JSON body.
public struct AccessQuestion: Sendable, Hashable {
    /// The engine operations the vocabulary names (`Action::"…"`, docs/policy.md).
    public struct Operation: Sendable, Hashable, CustomStringConvertible {
        /// The Cedar action id.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// A client obtains a right for itself (OAuth client_credentials, GNAP without a person).
        public static let token = Operation("token")
        /// A person delegates a right to a client (OAuth /authorize, a GNAP grant for a resource owner).
        public static let approve = Operation("approve")
        /// A refresh token is used (RFC 6749 §6).
        public static let refresh = Operation("refresh")
        /// A subject token is exchanged (RFC 8693).
        public static let exchange = Operation("exchange")
        /// An authorization code (RFC 6749 §4.1.3) or a JWT authorization grant (RFC 7523) is redeemed.
        public static let redeem = Operation("redeem")
        /// A resource server or client asks what a token carries (RFC 7662, RFC 9767 §3.3); see ``IntrospectionQuestion``.
        public static let introspect = Operation("introspect")
        /// A token request is admitted, or its client challenged (draft-kahrer-oauth-client-challenge-protocol-00).
        public static let challenge = Operation("challenge")
        /// Every operation, in the schema's order.
        public static let all: [Operation] = [.token, .approve, .refresh, .exchange, .redeem, .introspect, .challenge]

        /// The operation named `name`, if the vocabulary has it.
        /// - Parameter name: a Cedar action id such as `token`.
        public init?(named name: String) {
            guard let match = Self.all.first(where: { $0.name == name }) else { return nil }
            self = match
        }

        public var description: String { name }
    }

    /// The asking party as the vocabulary sees it (`Client::"<id>"`).
    public struct Party: Sendable, Hashable {
        /// The door a client is registered at.
        public enum Door: String, Sendable, Hashable {
            case oauth
            case gnap
        }

        /// `client_id`, GNAP `instance_id`, or `jkt:<thumbprint>` for an unregistered GNAP key.
        public var id: String
        public var door: Door
        /// Registered (client store, configuration) rather than trust on first use.
        public var registered: Bool
        /// What it is registered to obtain: OAuth `scope`, GNAP `allowed_access`.
        public var scopes: Set<String>
        /// The audiences whose tokens it may introspect as a resource server.
        public var introspectionAudiences: Set<String>

        /// - Parameters:
        ///   - id: the client's identifier.
        ///   - door: where it is registered.
        ///   - registered: whether it is registered at all.
        ///   - scopes: its registered rights.
        ///   - introspectionAudiences: the audiences it may introspect tokens of.
        public init(id: String, door: Door, registered: Bool, scopes: Set<String>, introspectionAudiences: Set<String> = []) {
            self.id = id
            self.door = door
            self.registered = registered
            self.scopes = scopes
            self.introspectionAudiences = introspectionAudiences
        }
    }

    public var party: Party
    public var operation: Operation
    /// The rights asked for: OAuth scope tokens, GNAP access types or references.
    public var rights: [String]
    /// The audiences asked for (RFC 8707 `resource`, GNAP `locations`).
    public var audiences: [String]
    /// The person the token would act for, when it is not the client itself.
    public var user: String?
    /// The door the request came through (`context.door`).
    public var door: Party.Door
    /// OAuth `grant_type`, `authorize`, or `gnap` (`context.grantType`).
    public var grantType: String
    /// RFC 8693 `requested_token_type`, `""` when none (`context.requestedTokenType`).
    public var requestedTokenType = ""
    /// The chaining peer whose grant is redeemed, `""` for none (`context.peer`).
    public var peer = ""
    /// A redeemed peer grant's or an ID token's facts (`context.chaining`), in the words of the
    /// chaining policy files they were translated from (``PolicyTranslation``); `nil` elsewhere.
    public var chaining: [String: JSONValue]?

    /// - Parameters:
    ///   - party: who asks.
    ///   - operation: the engine operation.
    ///   - rights: the rights asked for.
    ///   - audiences: the audiences asked for.
    ///   - user: the person the token acts for, if any.
    ///   - door: the door the request came through.
    ///   - grantType: the grant type or endpoint.
    public init(
        party: Party,
        operation: Operation,
        rights: [String],
        audiences: [String] = [],
        user: String? = nil,
        door: Party.Door,
        grantType: String
    ) {
        self.party = party
        self.operation = operation
        self.rights = rights
        self.audiences = audiences
        self.user = user
        self.door = door
        self.grantType = grantType
    }
}

/// Whether a client may learn what a token carries (`Action::"introspect"`, RFC 7662 §4, RFC 9767 §3.3).
public struct IntrospectionQuestion: Sendable, Hashable {
    /// The caller: a resource server (its introspection audiences) or a client.
    public var party: AccessQuestion.Party
    /// The token's rights.
    public var scopes: [String]
    /// The token's audiences.
    public var audiences: [String]
    /// `access_token` or `refresh_token`.
    public var tokenType: String
    /// The OAuth client the token was issued to; `nil` for a GNAP client's token.
    public var holder: String?
    /// The token's subject, when not the client itself.
    public var user: String?
}
