/// The paths of Tessera's endpoints; all of them are published in the metadata document.
enum Endpoints {
    static let token = "/token"
    static let introspection = "/introspect"
    static let revocation = "/revoke"
    static let jwks = "/jwks"
    static let metadata = "/.well-known/oauth-authorization-server"
    static let openIDConfiguration = "/.well-known/openid-configuration"
    static let authorization = "/authorize"
    static let pushedAuthorization = "/par"
    static let userInfo = "/userinfo"
    /// RFC 7591 §3; a client's configuration endpoint (RFC 7592) is below it.
    static let registration = "/register"
    static let health = "/healthz"
    static let ready = "/readyz"
    static let metrics = "/metrics"
}
