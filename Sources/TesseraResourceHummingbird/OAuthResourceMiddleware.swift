import Foundation
import HTTPTypes
public import Hummingbird
public import TesseraProtocol
public import TesseraResource

/// A request context that carries the verified access token to handlers.
public protocol OAuthResourceRequestContext: RequestContext {
    /// Set by ``OAuthResourceMiddleware`` before the handler runs.
    var accessToken: VerifiedAccessToken? { get set }
}

/// A basic request context with an ``OAuthResourceRequestContext/accessToken`` slot.
public struct OAuthResourceContext: OAuthResourceRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var accessToken: VerifiedAccessToken?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.accessToken = nil
    }
}

/// Hummingbird middleware that lets a request through only with a valid access token (RFC 6750,
/// RFC 9449) carrying `requiredScopes`, and answers everything else with the right status,
/// `WWW-Authenticate` challenges (with `resource_metadata`, RFC 9728 §5.1) and `DPoP-Nonce`.
///
/// ```swift
/// let rs = OAuthResourceServer(configuration: .init(issuer: asIssuer, resource: "https://api.example"))
/// let router = Router(context: OAuthResourceContext.self)
/// router.addProtectedResourceMetadata(rs)
/// router.group("api").add(middleware: OAuthResourceMiddleware(rs, requiredScopes: Scope(["read"])))
///     .get("hello") { _, context in "hello \(context.accessToken!.subject)" }
/// ```
public struct OAuthResourceMiddleware<Context: OAuthResourceRequestContext>: RouterMiddleware {
    public let resourceServer: OAuthResourceServer
    public let requiredScopes: Scope
    /// The DER client certificate of a request (its TLS connection's, or a trusted proxy's RFC 9440
    /// `Client-Cert`), for tokens bound with `cnf.x5t#S256` (RFC 8705 §3); without it such tokens are refused.
    public let clientCertificate: (@Sendable (Request, Context) async -> [UInt8]?)?
    private let origin: String

    public init(
        _ resourceServer: OAuthResourceServer,
        requiredScopes: Scope = .empty,
        clientCertificate: (@Sendable (Request, Context) async -> [UInt8]?)? = nil
    ) {
        self.resourceServer = resourceServer
        self.requiredScopes = requiredScopes
        self.clientCertificate = clientCertificate
        self.origin = Self.origin(of: resourceServer.configuration.resource)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The htu is checked against the public URL: the resource's origin plus the request path.
        let resourceRequest = ResourceRequest(
            method: request.method.rawValue,
            uri: origin + request.uri.path,
            authorization: request.headers[values: .authorization],
            dpop: request.headers[values: .dpop],
            clientCertificate: await clientCertificate?(request, context)
        )
        switch await resourceServer.authorize(resourceRequest, requiredScopes: requiredScopes) {
        case .success(let token):
            var context = context
            context.accessToken = token
            return try await next(request, context)
        case .failure(let refusal):
            return Self.response(for: refusal)
        }
    }

    /// The HTTP answer for a refusal: status, one `WWW-Authenticate` line per challenge, `DPoP-Nonce`, no caching.
    public static func response(for refusal: ResourceRefusal) -> Response {
        var headers: HTTPFields = [.cacheControl: "no-store"]
        for challenge in refusal.wwwAuthenticate { headers.append(HTTPField(name: .wwwAuthenticate, value: challenge)) }
        if let nonce = refusal.dpopNonce { headers[.dpopNonce] = nonce }
        return Response(status: HTTPResponse.Status(code: refusal.status), headers: headers)
    }

    static func origin(of resource: String) -> String {
        guard let components = URLComponents(string: resource), let scheme = components.scheme, let host = components.host else {
            return resource
        }
        return scheme + "://" + host + (components.port.map { ":\($0)" } ?? "")
    }
}

extension Router {
    /// Serves the resource's metadata document at its well-known path (RFC 9728 §3).
    public func addProtectedResourceMetadata(_ resourceServer: OAuthResourceServer) {
        guard let path = resourceServer.metadataPath else { return }
        let document = resourceServer.metadata
        get(RouterPath(path)) { _, _ -> Response in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(document)) ?? Data("{}".utf8)
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
    }
}

// Literal RFC 9110 §5.1 tokens: `HTTPField.Name.init?` cannot fail for them.
extension HTTPField.Name {
    /// The `DPoP` request header carrying a proof JWT (RFC 9449 §4.1).
    // swift-format-ignore: NeverForceUnwrap
    fileprivate static let dpop = HTTPField.Name("DPoP")!
    /// The `DPoP-Nonce` response header (RFC 9449 §8.1).
    // swift-format-ignore: NeverForceUnwrap
    fileprivate static let dpopNonce = HTTPField.Name("DPoP-Nonce")!
}
