import Foundation

/// Carries out the `push` finish (RFC 9635 §4.2.2): POSTs `{hash, interact_ref}` to the client's URI.
///
/// The URI is the client's choice, so it goes through ``GuardedHTTPFetcher`` (RFC 9635 §11.34):
/// the host is resolved and refused when any address is special-use (loopback, private,
/// link-local, …) unless `outbound_network.allowed_networks` lists it; the connection goes to the checked
/// address; `https` only (plain `http` only to allow-listed networks); no redirects; a deadline.
struct FinishPusher: Sendable {
    let fetcher: GuardedHTTPFetcher

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    func push(uri: String, body: [UInt8]) async throws {
        let response: GuardedHTTPFetcher.Response
        do {
            response = try await fetcher.post(
                uri,
                contentType: "application/json",
                body: body,
                accept: "application/json",
                maximumBytes: 16 * 1024
            )
        } catch {
            throw Refused(description: error.description)
        }
        guard (200..<300).contains(response.status) else {
            throw Refused(description: "the client's push endpoint answered HTTP \(response.status)")
        }
    }
}
