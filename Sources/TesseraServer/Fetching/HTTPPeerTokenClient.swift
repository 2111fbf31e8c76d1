import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TesseraEngine
import TesseraProtocol

/// Posts token requests to peer authorization servers with AsyncHTTPClient (identity chaining
/// Appendix B.2): POST only, no redirects (the shared peer client disallows them), a timeout and a
/// 64 KiB cap on the answer.
///
/// Peer token endpoints come from the operator's trust configuration (or the metadata of a
/// configured peer, at its metadata URL's origin), never from a request, so like peers' JWK Sets they
/// are not put through the client-URL guard; one the metadata names elsewhere is posted to by
/// ``GuardedPeerFetcher``.
struct HTTPPeerTokenClient: PeerTokenClient {
    static let maximumSize = 64 * 1024

    let client: HTTPClient
    let timeout: TimeAmount

    func postTokenRequest(to url: String, form: String, headers: [(name: String, value: String)]) async throws -> PeerTokenReply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await client.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: Self.maximumSize)
        // A body that is not a JSON object (a proxy's HTML error page, say) still carries its status:
        // the engine turns a 4xx into a refusal and anything else into "unavailable".
        let object = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(body.readableBytesView))) ?? [:]
        return PeerTokenReply(status: Int(response.status.code), body: object)
    }
}
