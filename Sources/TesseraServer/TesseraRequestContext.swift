public import Hummingbird
public import NIOCore

/// The request context of every Tessera route.
public struct TesseraRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on: its peer address (trusted proxies) and, under TLS, the
    /// client certificate (GNAP mtls, RFC 9635 §7.3.2).
    public let channel: any Channel
    /// The request target as the client sent it when ``IssuerPathResponder`` routed it without the
    /// issuer's path; `nil` when it was routed as sent. Signatures cover this one (RFC 9421 §2.2.2).
    public var requestTarget: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Form and JSON bodies are small; 64 KiB is far above any legitimate OAuth request.
    public var maxUploadSize: Int { 64 * 1024 }
}
