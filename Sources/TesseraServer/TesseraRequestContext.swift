public import Hummingbird

/// The request context of every Tessera route.
public struct TesseraRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Form and JSON bodies are small; 64 KiB is far above any legitimate OAuth request.
    public var maxUploadSize: Int { 64 * 1024 }
}
