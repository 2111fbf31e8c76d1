import Foundation
public import TesseraEngine

/// One entry of the `authorization_details_types:` config section (RFC 9396 §2): a type the AS
/// knows, and for Cedar types (draft-cecchetti-oauth-rar-cedar) where its schema and the AS's
/// delegation policies are. Files are read, and Cedar text parsed, when the server is built.
public struct AuthorizationDetailsTypeDefinition: Sendable, Hashable, Decodable {
    public var type: String
    public var requiredMembers: [String]?
    public var allowedMembers: [String]?
    public var clients: [String]?
    public var cedar: Cedar?

    public struct Cedar: Sendable, Hashable, Decodable {
        /// Path of a Cedar schema (`.cedarschema` or JSON), or the schema inline.
        public var schemaFile: String?
        public var schema: String?
        /// Path of the AS's delegation policies, or the policies inline (one is required).
        public var policyFile: String?
        public var policies: String?
        public var pinPrincipal: String?
        public var conditions: [String]?
        public var validFor: Double?
        public var maxPolicies: Int?

        public init(
            schemaFile: String? = nil,
            schema: String? = nil,
            policyFile: String? = nil,
            policies: String? = nil,
            pinPrincipal: String? = nil,
            conditions: [String]? = nil,
            validFor: Double? = nil,
            maxPolicies: Int? = nil
        ) {
            self.schemaFile = schemaFile
            self.schema = schema
            self.policyFile = policyFile
            self.policies = policies
            self.pinPrincipal = pinPrincipal
            self.conditions = conditions
            self.validFor = validFor
            self.maxPolicies = maxPolicies
        }

        enum CodingKeys: String, CodingKey {
            case schemaFile = "schema_file"
            case schema
            case policyFile = "policy_file"
            case policies
            case pinPrincipal = "pin_principal"
            case conditions
            case validFor = "valid_for"
            case maxPolicies = "max_policies"
        }
    }

    enum CodingKeys: String, CodingKey {
        case type
        case requiredMembers = "required_members"
        case allowedMembers = "allowed_members"
        case clients, cedar
    }

    public init(
        type: String,
        requiredMembers: [String]? = nil,
        allowedMembers: [String]? = nil,
        clients: [String]? = nil,
        cedar: Cedar? = nil
    ) {
        self.type = type
        self.requiredMembers = requiredMembers
        self.allowedMembers = allowedMembers
        self.clients = clients
        self.cedar = cedar
    }

    /// The engine's type: files read, Cedar parsed.
    /// - Parameter field: how the config file names this entry (`authorization_details_types[0]`).
    /// - Returns: The engine's type.
    /// - Throws: ``ConfigurationError`` naming the member that is wrong.
    public func resolved(field: String) throws(ConfigurationError) -> AuthorizationDetailsType {
        try require(!type.isEmpty, "\(field).type", "must not be empty")
        var profile: AuthorizationDetailsType.CedarProfile?
        if let cedar {
            let schema = try Self.text(
                inline: cedar.schema,
                file: cedar.schemaFile,
                field: "\(field).cedar.schema",
                fileField: "\(field).cedar.schema_file"
            )
            guard
                let policies = try Self.text(
                    inline: cedar.policies,
                    file: cedar.policyFile,
                    field: "\(field).cedar.policies",
                    fileField: "\(field).cedar.policy_file"
                )
            else {
                throw ConfigurationError(
                    field: "\(field).cedar.policy_file",
                    "is required: the AS's Cedar policies decide what may be delegated"
                )
            }
            do {
                profile = try AuthorizationDetailsType.CedarProfile(
                    schema: schema,
                    delegationPolicies: policies,
                    pinPrincipalType: cedar.pinPrincipal,
                    conditions: cedar.conditions ?? [],
                    validFor: cedar.validFor,
                    maximumPolicies: cedar.maxPolicies ?? 10
                )
            } catch {
                throw ConfigurationError(field: "\(field).cedar.\(error.field)", error.message)
            }
        }
        return AuthorizationDetailsType(
            type: type,
            requiredMembers: requiredMembers ?? [],
            allowedMembers: allowedMembers.map(Set.init),
            clients: clients.map(Set.init),
            cedar: profile
        )
    }

    private static func text(inline: String?, file: String?, field: String, fileField: String) throws(ConfigurationError) -> String? {
        if inline != nil, file != nil { throw ConfigurationError(field: field, "give the text inline or a file, not both") }
        if let inline { return inline }
        guard let file else { return nil }
        do { return try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ConfigurationError(field: fileField, "cannot read '\(file)'")
        }
    }
}
