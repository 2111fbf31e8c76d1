import TesseraProtocol

extension AccessRequest {
    /// The GNAP door's translation of a grant request (RFC 9635 §2): its `access` rights (§8), their
    /// `locations` as where the token is used, and whether it asks about a person (`subject`, `user`,
    /// §2.2, §2.4) or is for the client instance itself.
    /// - Parameter request: the grant request, its registered references expanded.
    init(gnap request: GNAPGrantRequest) {
        let access = request.accessToken?.requests.flatMap(\.access) ?? []
        self.init(
            rights: Rights(access: access),
            resources: access.flatMap { right -> [String] in
                if case .object(let object) = right { return object.locations ?? [] }
                return []
            },
            subject: request.subject == nil && request.user == nil ? .client : .person(formats: request.subject?.subIDFormats ?? []),
            evidence: .client,
            kind: "gnap"
        )
    }
}
