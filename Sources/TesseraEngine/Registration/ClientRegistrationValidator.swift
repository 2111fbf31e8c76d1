import Foundation
import TesseraProtocol

/// The rules a self-registered client's metadata must meet (RFC 7591 §2, §3.2.2), within the
/// operator's ceiling (``ClientRegistrationConfiguration``). Every refusal is `invalid_redirect_uri`
/// or `invalid_client_metadata` naming the member; the result is the metadata with Tessera's
/// defaults filled in, as it will be stored and returned.
struct ClientRegistrationValidator: Sendable {
    /// What was accepted: the normalised metadata and what the client record takes from it.
    struct Accepted: Sendable {
        var metadata: ClientRegistrationMetadata
        var method: ClientAuthenticationMethod
        var grantTypes: [GrantType]
        var scopes: [String]
        var redirectURIs: [String]
        var jwks: String?
        var jwksURI: String?
    }

    static let supportedMethods: [ClientAuthenticationMethod] = [.none, .clientSecretBasic, .clientSecretPost, .privateKeyJWT]
    static let maximumRedirectURIs = 20

    let configuration: ClientRegistrationConfiguration

    func validate(_ request: ClientRegistrationMetadata) throws(OAuthError) -> Accepted {
        if request.softwareStatement != nil {
            throw OAuthError(
                .invalidSoftwareStatement,
                "software statements are not accepted by this server (RFC 7591 §2.3); omit software_statement"
            )
        }
        var metadata = request
        metadata.clientID = nil
        metadata.clientSecret = nil

        let applicationType = request.applicationType ?? "web"
        guard applicationType == "web" || applicationType == "native" else {
            throw Self.metadata("application_type must be 'web' or 'native'")
        }
        metadata.applicationType = applicationType

        let methodName = request.tokenEndpointAuthMethod ?? ClientAuthenticationMethod.clientSecretBasic.rawValue
        let method = ClientAuthenticationMethod(rawValue: methodName)
        guard Self.supportedMethods.contains(method) else {
            throw Self.metadata(
                "token_endpoint_auth_method '\(Self.printable(methodName))' is not supported (supported: \(Self.supportedMethods.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        metadata.tokenEndpointAuthMethod = method.rawValue

        let grantTypes = try grants(request.grantTypes ?? [GrantType.authorizationCode.rawValue], method: method)
        metadata.grantTypes = grantTypes.map(\.rawValue)
        metadata.responseTypes = try responseTypes(request.responseTypes, grantTypes: grantTypes)

        let redirectURIs = try redirects(request.redirectURIs ?? [], native: applicationType == "native")
        if grantTypes.contains(.authorizationCode), redirectURIs.isEmpty {
            throw OAuthError(
                .invalidRedirectURI,
                "the authorization_code grant needs at least one redirect URI (RFC 7591 §2, RFC 6749 §3.1.2.2)"
            )
        }
        metadata.redirectURIs = redirectURIs.isEmpty ? nil : redirectURIs

        let scopes = try scope(request.scope)
        metadata.scope = scopes.joined(separator: " ")

        if let name = request.clientName {
            guard DisplayedName.isDisplayable(name) else {
                throw Self.metadata(
                    "client_name must be 1 to 200 bytes without control or formatting characters (such as bidirectional overrides) or marks stacked on one character"
                )
            }
        }
        for (member, value) in [
            ("client_uri", request.clientURI), ("logo_uri", request.logoURI), ("tos_uri", request.tosURI),
            ("policy_uri", request.policyURI),
        ] {
            if let value { try Self.httpsURL(value, member: member) }
        }
        if let contacts = request.contacts {
            guard contacts.count <= 10, contacts.allSatisfy({ Self.isPrintable($0, maximum: 320) }) else {
                throw Self.metadata("contacts must be at most 10 addresses of 1 to 320 printable characters")
            }
        }
        for (member, value) in [("software_id", request.softwareID), ("software_version", request.softwareVersion)] {
            if let value, !Self.isPrintable(value, maximum: 255) {
                throw Self.metadata("\(member) must be 1 to 255 printable characters")
            }
        }

        var jwksText: String?
        if method == .privateKeyJWT {
            switch (request.jwks, request.jwksURI) {
            case (let jwks?, nil):
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                let text = String(decoding: (try? encoder.encode(jwks)) ?? Data(), as: UTF8.self)
                do { jwksText = try ClientDefinition.validateJWKS(text) } catch { throw Self.metadata("jwks \(error.message)") }
            case (nil, let uri?):
                try Self.httpsURL(uri, member: "jwks_uri")
            case (nil, nil):
                throw Self.metadata("private_key_jwt needs jwks or jwks_uri")
            case (_?, _?):
                throw Self.metadata("jwks and jwks_uri must not both be present (RFC 7591 §2)")
            }
        } else if request.jwks != nil || request.jwksURI != nil {
            throw Self.metadata("jwks and jwks_uri are only for token_endpoint_auth_method private_key_jwt")
        }

        return Accepted(
            metadata: metadata,
            method: method,
            grantTypes: grantTypes,
            scopes: scopes,
            redirectURIs: redirectURIs,
            jwks: jwksText,
            jwksURI: method == .privateKeyJWT ? request.jwksURI : nil
        )
    }

    // MARK: - Members

    /// Grant types Tessera supports and the operator allows self-registered clients.
    private func grants(_ names: [String], method: ClientAuthenticationMethod) throws(OAuthError) -> [GrantType] {
        var types: [GrantType] = []
        for name in names {
            let type = GrantType(rawValue: name)
            if type.rawValue == "implicit" || type.rawValue == "password" {
                throw Self.metadata("grant type '\(name)' is not supported (RFC 9700 §2.1.2, §2.4)")
            }
            guard ClientDefinition.supportedGrantTypes.contains(type), configuration.allowedGrantTypes.contains(type) else {
                throw Self.metadata(
                    "grant type '\(Self.printable(name))' is not allowed for self-registered clients (allowed: \(configuration.allowedGrantTypes.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            if !types.contains(type) { types.append(type) }
        }
        guard !types.isEmpty else { throw Self.metadata("grant_types must not be empty") }
        if method == .none, types.contains(.clientCredentials) || types.contains(.tokenExchange) {
            throw Self.metadata(
                "client_credentials and token exchange need an authenticated client, not token_endpoint_auth_method none (RFC 6749 §4.4)"
            )
        }
        return types
    }

    /// RFC 7591 §2.1: `code` goes with `authorization_code`, and only the code flow is supported.
    private func responseTypes(_ requested: [String]?, grantTypes: [GrantType]) throws(OAuthError) -> [String]? {
        let code = grantTypes.contains(.authorizationCode)
        guard let requested else { return code ? ["code"] : nil }
        for type in requested where type != "code" {
            throw Self.metadata("response type '\(Self.printable(type))' is not supported; only 'code' is (RFC 9700 §2.1.2)")
        }
        if requested.contains("code"), !code {
            throw Self.metadata("response type 'code' needs the authorization_code grant type (RFC 7591 §2.1)")
        }
        if code, !requested.contains("code") {
            throw Self.metadata("the authorization_code grant type needs response type 'code' (RFC 7591 §2.1)")
        }
        return requested.isEmpty ? nil : ["code"]
    }

    /// `https` URLs with a host, or — for native applications — `http` on a loopback host, where
    /// any port is accepted at the authorization endpoint (RFC 8252 §7.3). No fragment (RFC 6749
    /// §3.1.2), no user information, nothing that could hide another host.
    private func redirects(_ uris: [String], native: Bool) throws(OAuthError) -> [String] {
        guard uris.count <= Self.maximumRedirectURIs else {
            throw OAuthError(.invalidRedirectURI, "at most \(Self.maximumRedirectURIs) redirect URIs")
        }
        var valid: [String] = []
        for uri in uris {
            let shown = Self.printable(uri)
            guard Self.isPrintable(uri, maximum: 2000), !uri.contains("\\"), let components = URLComponents(string: uri),
                let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty
            else { throw OAuthError(.invalidRedirectURI, "'\(shown)' is not an absolute URL with a host") }
            guard components.fragment == nil, !uri.contains("#") else {
                throw OAuthError(.invalidRedirectURI, "'\(shown)' has a fragment, which redirect URIs must not have (RFC 6749 §3.1.2)")
            }
            guard components.user == nil, components.password == nil else {
                throw OAuthError(.invalidRedirectURI, "'\(shown)' carries user information")
            }
            switch scheme {
            case "https":
                break
            case "http":
                guard RedirectURIMatch.isLoopback(host) else {
                    throw OAuthError(.invalidRedirectURI, "'\(shown)': plain http is only allowed to a loopback address (RFC 8252 §7.3)")
                }
                guard native else {
                    throw OAuthError(
                        .invalidRedirectURI,
                        "'\(shown)': a loopback http redirect URI needs application_type 'native' (RFC 8252 §7.3)"
                    )
                }
            default:
                throw OAuthError(.invalidRedirectURI, "'\(shown)' must use https, or http on a loopback address for a native application")
            }
            if !valid.contains(uri) { valid.append(uri) }
        }
        return valid
    }

    /// The requested scope within the ceiling; none requested means the whole ceiling.
    private func scope(_ requested: String?) throws(OAuthError) -> [String] {
        guard let requested else { return Scope(configuration.allowedScopes).tokens }
        let parsed: Scope
        do { parsed = try Scope(parsing: requested) } catch {
            throw Self.metadata("scope contains a character RFC 6749 §3.3 does not allow")
        }
        for token in parsed.tokens where !configuration.allowedScopes.contains(token) {
            throw Self.metadata("scope '\(Self.printable(token))' is not allowed for self-registered clients")
        }
        return parsed.tokens
    }

    // MARK: - Helpers

    private static func httpsURL(_ value: String, member: String) throws(OAuthError) {
        guard isPrintable(value, maximum: 2000), let components = URLComponents(string: value), components.scheme?.lowercased() == "https",
            let host = components.host, !host.isEmpty, components.fragment == nil, components.user == nil, components.password == nil
        else { throw metadata("\(member) must be an https URL with a host and without a fragment") }
    }

    private static func isPrintable(_ value: String, maximum: Int) -> Bool {
        !value.isEmpty && value.utf8.count <= maximum && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
    }

    static func printable(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(100)))
    }

    static func metadata(_ message: String) -> OAuthError { OAuthError(.invalidClientMetadata, message) }
}
