/// A grant response (RFC 9635 §3).
public struct GNAPGrantResponse: Sendable, Hashable, Codable {
    public var `continue`: GNAPContinue?
    public var accessToken: GNAPTokenResponses?
    public var interact: [String: JSONValue]?
    public var subject: GNAPSubjectResponse?
    public var instanceID: String?

    public init(
        continue: GNAPContinue? = nil,
        accessToken: GNAPTokenResponses? = nil,
        interact: [String: JSONValue]? = nil,
        subject: GNAPSubjectResponse? = nil,
        instanceID: String? = nil
    ) {
        self.continue = `continue`
        self.accessToken = accessToken
        self.interact = interact
        self.subject = subject
        self.instanceID = instanceID
    }

    enum CodingKeys: String, CodingKey {
        case `continue`
        case accessToken = "access_token"
        case interact, subject
        case instanceID = "instance_id"
    }
}

/// `continue` (RFC 9635 §3.1): where and with which bound token to continue, and how long to wait.
public struct GNAPContinue: Sendable, Hashable, Codable {
    public var accessToken: GNAPTokenValue
    public var uri: String
    public var wait: Int?

    public init(accessToken: GNAPTokenValue, uri: String, wait: Int?) {
        self.accessToken = accessToken
        self.uri = uri
        self.wait = wait
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case uri, wait
    }
}

/// A token with only a value: continuation and management tokens (RFC 9635 §3.1, §3.2.1).
public struct GNAPTokenValue: Sendable, Hashable, Codable {
    public var value: String
    public init(value: String) { self.value = value }
}

/// `access_token` in a response: the same cardinality as the request (RFC 9635 §3.2).
public typealias GNAPTokenResponses = GNAPOneOrMany<GNAPAccessToken>

extension GNAPOneOrMany where Element == GNAPAccessToken {
    public var tokens: [GNAPAccessToken] { elements }
}

/// An issued access token (RFC 9635 §3.2.1).
public struct GNAPAccessToken: Sendable, Hashable, Codable {
    public var value: String
    public var label: String?
    public var manage: GNAPManage?
    public var access: [GNAPAccessRight]
    public var expiresIn: Int?
    public var flags: [String]?
    /// The key the token is bound to when it differs from the client's key (RFC 9635 §3.2.1).
    /// Never together with the `bearer` flag.
    public var key: GNAPKeyReference?

    public init(
        value: String,
        label: String?,
        manage: GNAPManage?,
        access: [GNAPAccessRight],
        expiresIn: Int?,
        flags: [String]?,
        key: GNAPKeyReference? = nil
    ) {
        self.value = value
        self.label = label
        self.manage = manage
        self.access = access
        self.expiresIn = expiresIn
        self.flags = flags
        self.key = key
    }

    enum CodingKeys: String, CodingKey {
        case value, label, manage, access
        case expiresIn = "expires_in"
        case flags, key
    }

    /// Whether the token carries the `bearer` flag (unbound).
    public var isBearer: Bool { flags?.contains("bearer") == true }
}

/// Token management (RFC 9635 §3.2.1 `manage`).
public struct GNAPManage: Sendable, Hashable, Codable {
    public var uri: String
    public var accessToken: GNAPTokenValue

    public init(uri: String, accessToken: GNAPTokenValue) {
        self.uri = uri
        self.accessToken = accessToken
    }

    enum CodingKeys: String, CodingKey {
        case uri
        case accessToken = "access_token"
    }
}

/// `subject` in a response (RFC 9635 §3.4).
public struct GNAPSubjectResponse: Sendable, Hashable, Codable {
    public var subIDs: [[String: JSONValue]]?
    public var assertions: [[String: JSONValue]]?
    public var updatedAt: String?

    public init(subIDs: [[String: JSONValue]]?, assertions: [[String: JSONValue]]? = nil, updatedAt: String? = nil) {
        self.subIDs = subIDs
        self.assertions = assertions
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case subIDs = "sub_ids"
        case assertions
        case updatedAt = "updated_at"
    }
}

/// The AS discovery document answered to `OPTIONS` on the grant endpoint (RFC 9635 §9).
public struct GNAPDiscovery: Sendable, Hashable, Codable {
    public var grantRequestEndpoint: String
    public var interactionStartModesSupported: [String]
    public var interactionFinishMethodsSupported: [String]
    public var keyProofsSupported: [String]
    public var subIDFormatsSupported: [String]
    public var assertionFormatsSupported: [String]
    public var keyRotationSupported: Bool

    public init(
        grantRequestEndpoint: String,
        interactionStartModesSupported: [String],
        interactionFinishMethodsSupported: [String],
        keyProofsSupported: [String],
        subIDFormatsSupported: [String],
        assertionFormatsSupported: [String],
        keyRotationSupported: Bool
    ) {
        self.grantRequestEndpoint = grantRequestEndpoint
        self.interactionStartModesSupported = interactionStartModesSupported
        self.interactionFinishMethodsSupported = interactionFinishMethodsSupported
        self.keyProofsSupported = keyProofsSupported
        self.subIDFormatsSupported = subIDFormatsSupported
        self.assertionFormatsSupported = assertionFormatsSupported
        self.keyRotationSupported = keyRotationSupported
    }

    enum CodingKeys: String, CodingKey {
        case grantRequestEndpoint = "grant_request_endpoint"
        case interactionStartModesSupported = "interaction_start_modes_supported"
        case interactionFinishMethodsSupported = "interaction_finish_methods_supported"
        case keyProofsSupported = "key_proofs_supported"
        case subIDFormatsSupported = "sub_id_formats_supported"
        case assertionFormatsSupported = "assertion_formats_supported"
        case keyRotationSupported = "key_rotation_supported"
    }
}
