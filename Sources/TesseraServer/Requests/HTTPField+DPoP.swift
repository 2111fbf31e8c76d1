import HTTPTypes

extension HTTPField.Name {
    /// The `DPoP` request header carrying a proof JWT (RFC 9449 §4.1).
    static let dpop = HTTPField.Name("DPoP")!
    /// The `DPoP-Nonce` response header (RFC 9449 §8.1).
    static let dpopNonce = HTTPField.Name("DPoP-Nonce")!
}
