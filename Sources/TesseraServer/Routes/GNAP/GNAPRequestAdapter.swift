import Foundation
import HTTPMessageSignatures
import Hummingbird
import NIOCore
import TesseraEngine
import TesseraProtocol

/// Turns a Hummingbird request into the framework-free message a GNAP key proof covers.
///
/// `@target-uri` must be the URI the client signed — the external one (RFC 9421 §7.4.3) — so the
/// scheme and authority come from the issuer, not from whatever `Host` the request carried.
struct GNAPRequestAdapter: Sendable {
    let issuer: String
    /// Where the `mtls` proof's client certificate comes from.
    var certificates = ClientCertificateSource()
    static let maximumBody = 64 * 1024
    /// The issuer's scheme and authority, parsed once (`URLComponents` per request was 0.3 % of a grant); `nil` when
    /// the issuer is not an absolute URL, which every request is then refused for.
    let origin: (scheme: String, authority: String)?

    /// - Parameters:
    ///   - issuer: The issuer, whose scheme and authority are `@target-uri`'s.
    ///   - certificates: Where the `mtls` proof's client certificate comes from.
    init(issuer: String, certificates: ClientCertificateSource = ClientCertificateSource()) {
        self.issuer = issuer
        self.certificates = certificates
        if let components = URLComponents(string: issuer), let scheme = components.scheme, let host = components.host {
            origin = (scheme, components.port.map { "\(host):\($0)" } ?? host)
        } else {
            origin = nil
        }
    }

    func presented(_ request: Request, context: TesseraRequestContext) async throws -> GNAPPresentedRequest {
        var request = request
        let body: [UInt8]
        do {
            let buffer = try await request.collectBody(upTo: Self.maximumBody)
            body = Array(buffer.readableBytesView)
        } catch {
            throw GNAPError(.invalidRequest, "the request body is larger than \(Self.maximumBody) bytes")
        }
        var attached = false
        if !body.isEmpty {
            // On bytes (issue 22): `trimmingCharacters(in:)` and `lowercased()` bridged through NSString per request.
            let type = request.headers[.contentType]?.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
                .map(HeaderText.trimmingOWS)
            attached = type.map { HeaderText.equalsIgnoringASCIICase($0, "application/jose") } ?? false
            guard attached || type.map({ HeaderText.equalsIgnoringASCIICase($0, "application/json") }) == true else {
                throw GNAPError(.invalidRequest, "GNAP request bodies are application/json, or application/jose for the jws proof")
            }
        }
        let fields = request.headers.map { HTTPSignatureField(name: $0.name.canonicalName, value: $0.value) }
        guard let origin else { throw GNAPError(.invalidRequest, "the server's issuer is not an absolute URL") }
        let message = HTTPSignatureRequest(
            method: request.method.rawValue,
            scheme: origin.scheme,
            authority: origin.authority,
            requestTarget: context.requestTarget ?? request.uri.description,
            headerFields: fields,
            body: body.isEmpty ? nil : body
        )
        var presented: GNAPPresentedRequest
        if attached {
            presented = try GNAPPresentedRequest(
                message: message,
                token: try Self.token(request),
                attachedJWS: String(decoding: body, as: UTF8.self)
            )
        } else {
            presented = GNAPPresentedRequest(message: message, token: try Self.token(request))
        }
        presented.clientCertificate = try await certificates.certificate(request, channel: context.channel)
        return presented
    }

    /// `Authorization: GNAP <token>` (RFC 9635 §7.2); any other scheme is refused.
    static func token(_ request: Request) throws -> String? {
        let values = request.headers[values: .authorization]
        guard let header = values.first else { return nil }
        guard values.count == 1 else { throw GNAPError(.invalidRequest, "more than one Authorization header") }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0] == "GNAP" else {
            throw GNAPError(.invalidRequest, "tokens are presented as 'Authorization: GNAP <token>' here (RFC 9635 §7.2)")
        }
        return String(parts[1])
    }
}
