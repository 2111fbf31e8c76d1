import Foundation
import Hummingbird
import NIOCore
import TesseraProtocol

/// Reads a strict form body (STYLE §7): the content type must be `application/x-www-form-urlencoded`.
enum FormBody {
    static func parse(
        _ request: Request,
        context: TesseraRequestContext,
        repeatable extra: Set<String> = []  // empty: the OAuth default (resource, audience)
    ) async throws -> FormParameters {
        guard let contentType = request.headers[.contentType],
            let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first,
            HeaderText.equalsIgnoringASCIICase(HeaderText.trimmingOWS(mediaType), "application/x-www-form-urlencoded")
        else {
            throw OAuthError.invalidRequest("the request body must be application/x-www-form-urlencoded")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: FormParameters.maximumBodySize)
        } catch {
            throw OAuthError.invalidRequest("request body is larger than \(FormParameters.maximumBodySize) bytes")
        }
        guard !extra.isEmpty else { return try FormParameters(parsing: buffer.readableBytesView) }
        return try FormParameters(parsing: buffer.readableBytesView, repeatable: extra)
    }
}
