import Foundation
import TesseraEngine
import TesseraProtocol

extension ServerConfiguration {
    /// Checks the `registration:` settings. - Throws: ``ConfigurationError`` naming the field.
    func validateRegistration() throws(ConfigurationError) {
        for type in registration.allowedGrantTypes where !ClientDefinition.supportedGrantTypes.contains(type) {
            throw ConfigurationError(field: "registration.allowed_grant_types", "'\(type.rawValue)' is not a supported grant type")
        }
        for scope in registration.allowedScopes {
            guard (try? Scope(parsing: scope))?.tokens == [scope] else {
                throw ConfigurationError(field: "registration.allowed_scopes", "'\(scope)' is not a single scope token (RFC 6749 §3.3)")
            }
        }
        try require((1...100_000).contains(registration.attemptsPerAddress), "registration.attempts_per_address", "must be 1 to 100000")
        try require((1...86_400).contains(registration.window), "registration.window", "must be 1 to 86400 seconds")
    }
}

/// The `registration:` setting: a mode alone, or a section.
///
/// ```yaml
/// registration: open                      # or initial_access_token, or off (the default)
/// # or:
/// registration:
///   mode: initial_access_token            # tokens from `tessera clients registration-token create`
///   allowed_grant_types: [authorization_code, refresh_token]
///   allowed_scopes: [mcp:tools]           # the ceiling; a client registering without scope gets all of these
///   attempts_per_address: 20              # registrations per client address (IPv6: per /64) per window
///   window: 3600                          # seconds
/// ```
struct FileRegistration: Decodable {
    var mode: String?
    var allowedGrantTypes: [String]?
    var allowedScopes: [String]?
    var attemptsPerAddress: Int?
    var window: Double?
    var requireResource: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode
        case allowedGrantTypes = "allowed_grant_types"
        case allowedScopes = "allowed_scopes"
        case attemptsPerAddress = "attempts_per_address"
        case window
        case requireResource = "require_resource"
    }

    init(from decoder: any Decoder) throws {
        if let scalar = try? decoder.singleValueContainer() {
            if let text = try? scalar.decode(String.self) {
                mode = text
                return
            }
            // YAML 1.1 reads a bare `off` as false.
            if let flag = try? scalar.decode(Bool.self) {
                mode = flag ? "on" : "off"
                return
            }
        }
        let keyed = try decoder.strictContainer(keyedBy: CodingKeys.self)
        mode = try keyed.decodeIfPresent(String.self, forKey: .mode)
        allowedGrantTypes = try keyed.decodeIfPresent([String].self, forKey: .allowedGrantTypes)
        allowedScopes = try keyed.decodeIfPresent([String].self, forKey: .allowedScopes)
        attemptsPerAddress = try keyed.decodeIfPresent(Int.self, forKey: .attemptsPerAddress)
        window = try keyed.decodeIfPresent(Double.self, forKey: .window)
        requireResource = try keyed.decodeIfPresent(Bool.self, forKey: .requireResource)
    }

    func apply(to registration: inout ClientRegistrationConfiguration) throws(ConfigurationError) {
        if let mode {
            guard let parsed = ClientRegistrationConfiguration.Mode(rawValue: mode) else {
                throw ConfigurationError(field: "registration.mode", "must be off, open or initial_access_token")
            }
            registration.mode = parsed
        }
        if let allowedGrantTypes { registration.allowedGrantTypes = allowedGrantTypes.map(GrantType.init(rawValue:)) }
        if let allowedScopes { registration.allowedScopes = allowedScopes }
        if let attemptsPerAddress { registration.attemptsPerAddress = attemptsPerAddress }
        if let window { registration.window = window }
        if let requireResource { registration.requireResource = requireResource }
    }
}
