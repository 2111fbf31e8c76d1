public import Foundation
public import TesseraProtocol

/// Dynamic client registration (RFC 7591, RFC 7592) as the operator allows it.
///
/// Self-registered clients get the same trust limits as metadata-document clients: only the grant
/// types and scopes listed here, and their names are shown as unverified.
public struct ClientRegistrationConfiguration: Sendable, Hashable {
    /// Who may register (`registration.mode`).
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// No registration endpoint, none in the metadata (the default).
        case off
        /// Anyone may register (RFC 7591 §3, "open registration"), rate-limited per address.
        case open
        /// Registration needs an initial access token an operator minted (RFC 7591 §3, §1.2).
        case initialAccessToken = "initial_access_token"
    }

    public var mode: Mode = .off
    /// Grant types a registered client may use; a request asking for others is refused.
    public var allowedGrantTypes: [GrantType] = [.authorizationCode, .refreshToken]
    /// The scope ceiling: a client may register for these and no others. A client that registers
    /// without `scope` gets all of them (RFC 7591 §2: the server may register a default set).
    public var allowedScopes: [String] = []
    /// Registrations (successful or not) per client address per ``window`` (IPv6: per /64).
    public var attemptsPerAddress = 20
    /// The sliding window of ``attemptsPerAddress``, in seconds.
    public var window: TimeInterval = 3600
    /// `registration.require_resource`: every client that registers (or updates its registration,
    /// RFC 7592 §2.2) while this is set is stored with `require_resource`, so its authorization and
    /// token requests must name their resources (RFC 8707 §2) — MCP clients always do.
    public var requireResource = false

    public init() {}

    public var isEnabled: Bool { mode != .off }
}
