import HTTPTypes

// The names below are literal RFC 9110 §5.1 tokens: `HTTPField.Name.init?` cannot fail for them.
extension HTTPField.Name {
    /// The `DPoP` request header carrying a proof JWT (RFC 9449 §4.1).
    // swift-format-ignore: NeverForceUnwrap
    static let dpop = HTTPField.Name("DPoP")!
    /// The `DPoP-Nonce` response header (RFC 9449 §8.1).
    // swift-format-ignore: NeverForceUnwrap
    static let dpopNonce = HTTPField.Name("DPoP-Nonce")!
}
