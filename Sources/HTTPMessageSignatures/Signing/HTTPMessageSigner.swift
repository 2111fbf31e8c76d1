public import Foundation

/// Signs HTTP requests and responses (RFC 9421 §3.1) and attaches `Signature-Input` and `Signature` (§4).
///
/// ```swift
/// let signer = HTTPMessageSigner(key: try HTTPSigningKey(jwk: clientJWK), configuration: .gnap, now: { Date() })
/// try signer.sign(&request, components: [.method, .targetURI])   // adds Content-Digest, tag="gnap", nonce
/// ```
///
/// Several signatures with different labels can be added to one message; each call appends one member to each
/// field (§4.3).
public struct HTTPMessageSigner: Sendable {
    /// How the signer fills in parameters and content digests.
    public struct Configuration: Sendable {
        /// The label for signatures (RFC 9421 §4.1); lower-case, unique in the message.
        public var label: String = "sig1"
        /// Add `created` with the current time (RECOMMENDED, §2.3).
        public var includeCreated: Bool = true
        /// Add `expires` this long after `created`.
        public var expiresAfter: Duration?
        /// Add the key's `keyid` (the signing key's ``HTTPSigningKey/keyID``).
        public var includeKeyID: Bool = true
        /// Add `alg` (only for registered algorithms; GNAP forbids it).
        public var includeAlgorithm: Bool = false
        /// The `tag` to add, e.g. `gnap`.
        public var tag: String?
        /// Generates a `nonce` per signature; `nil` adds none.
        public var nonce: (@Sendable () -> String)?
        /// When the message has content: add `Content-Digest` with these algorithms if the field is absent, and
        /// cover `content-digest` (RFC 9421 §7.2.8). Empty disables this.
        public var contentDigestAlgorithms: [ContentDigest.Algorithm] = [.sha256]
        /// Types of structured fields for the `sf` parameter, beyond the well-known ones.
        public var structuredFieldTypes: [String: StructuredFieldType] = [:]

        /// The defaults: label `sig1`, `created` and `keyid`, SHA-256 `Content-Digest` for content.
        public init() {}

        /// The GNAP profile (RFC 9635 §7.3.1): `tag="gnap"`, `created`, `keyid`, a random `nonce`, no `alg`,
        /// and `Content-Digest` (SHA-256) covered whenever there is content.
        public static var gnap: Self {
            var configuration = Self()
            configuration.tag = "gnap"
            let generator = NonceGenerator()
            configuration.nonce = { generator.next() }
            return configuration
        }
    }

    /// The key every signature is made with.
    public let key: HTTPSigningKey
    /// The signer's configuration.
    public var configuration: Configuration
    private let now: @Sendable () -> Date

    /// Creates a signer.
    ///
    /// - Parameters:
    ///   - key: The signing key; its algorithm is the signature algorithm.
    ///   - configuration: Parameter and digest choices.
    ///   - now: The wall clock for `created`/`expires`.
    public init(key: HTTPSigningKey, configuration: Configuration = .init(), now: @escaping @Sendable () -> Date) {
        self.key = key
        self.configuration = configuration
        self.now = now
    }

    // MARK: - Requests

    /// Signs a request with parameters chosen by ``configuration`` and adds the signature fields.
    ///
    /// - Parameters:
    ///   - request: The request; `Content-Digest` (if configured), `Signature-Input` and `Signature` are appended.
    ///   - components: The covered components, in order (RFC 9421 §3.1 step 3).
    ///   - label: Overrides ``Configuration/label``.
    /// - Returns: The parameters used.
    /// - Throws: ``HTTPSignatureError`` if a component cannot be computed or the label is taken.
    @discardableResult
    public func sign(
        _ request: inout HTTPSignatureRequest,
        components: [HTTPSignatureComponent],
        label: String? = nil
    ) throws(HTTPSignatureError) -> HTTPSignatureParameters {
        try attachSignature(to: &request, components: components, parameters: nil, label: label)
    }

    /// Signs a request with exactly the given parameters (nothing added), e.g. to reproduce a test vector.
    public func sign(
        _ request: inout HTTPSignatureRequest,
        components: [HTTPSignatureComponent],
        parameters: HTTPSignatureParameters,
        label: String? = nil
    ) throws(HTTPSignatureError) {
        try attachSignature(to: &request, components: components, parameters: parameters, label: label)
    }

    // MARK: - Responses

    /// Signs a response with parameters chosen by ``configuration``. Components with `req` are taken from
    /// ``HTTPSignatureResponse/request`` (RFC 9421 §2.4).
    @discardableResult
    public func sign(
        _ response: inout HTTPSignatureResponse,
        components: [HTTPSignatureComponent],
        label: String? = nil
    ) throws(HTTPSignatureError) -> HTTPSignatureParameters {
        try attachSignature(to: &response, components: components, parameters: nil, label: label)
    }

    /// Signs a response with exactly the given parameters.
    public func sign(
        _ response: inout HTTPSignatureResponse,
        components: [HTTPSignatureComponent],
        parameters: HTTPSignatureParameters,
        label: String? = nil
    ) throws(HTTPSignatureError) {
        try attachSignature(to: &response, components: components, parameters: parameters, label: label)
    }

    // MARK: - Signature base

    /// The signature base (RFC 9421 §2.5) a request signature would cover, as text; for diagnostics and tests.
    public static func signatureBase(
        for request: HTTPSignatureRequest,
        components: [HTTPSignatureComponent],
        parameters: HTTPSignatureParameters,
        structuredFieldTypes: [String: StructuredFieldType] = [:]
    ) throws(HTTPSignatureError) -> String {
        try signatureBaseText(request, components: components, parameters: parameters, structuredFieldTypes: structuredFieldTypes)
    }

    /// The signature base (RFC 9421 §2.5) a response signature would cover, as text.
    public static func signatureBase(
        for response: HTTPSignatureResponse,
        components: [HTTPSignatureComponent],
        parameters: HTTPSignatureParameters,
        structuredFieldTypes: [String: StructuredFieldType] = [:]
    ) throws(HTTPSignatureError) -> String {
        try signatureBaseText(response, components: components, parameters: parameters, structuredFieldTypes: structuredFieldTypes)
    }

    // MARK: - Private

    /// Signs `message` and appends `Signature-Input` and `Signature`: with `parameters` exactly as given, or (when
    /// nil) with parameters and a `Content-Digest` chosen by ``configuration``. Returns the parameters used.
    @discardableResult
    private func attachSignature(
        to message: inout some SignableMessage,
        components: [HTTPSignatureComponent],
        parameters given: HTTPSignatureParameters?,
        label: String?
    ) throws(HTTPSignatureError) -> HTTPSignatureParameters {
        let extra = given == nil ? addContentDigest(to: &message.headerFields, body: message.body, covering: components) : nil
        let parameters = given ?? makeParameters()
        let fields = try signatureFields(
            for: message.signatureMessage,
            components: components,
            appending: extra,
            parameters: parameters,
            label: label ?? configuration.label
        )
        message.headerFields.append(fields.input)
        message.headerFields.append(fields.signature)
        return parameters
    }

    /// The signature base of `message` as text.
    private static func signatureBaseText(
        _ message: some SignableMessage,
        components: [HTTPSignatureComponent],
        parameters: HTTPSignatureParameters,
        structuredFieldTypes: [String: StructuredFieldType]
    ) throws(HTTPSignatureError) -> String {
        let base = try SignatureBase.build(
            components: components,
            parameters: parameters,
            message: message.signatureMessage,
            structuredFieldTypes: structuredFieldTypes
        )
        return String(decoding: base.bytes, as: UTF8.self)
    }

    /// Adds `Content-Digest` (if configured, the message has content and the field is absent) and grows the field
    /// list once for it and the two signature fields. Returns `content-digest` when the caller's components do not
    /// already cover it (RFC 9421 §7.2.8), to be covered after them.
    private func addContentDigest(
        to headerFields: inout [HTTPSignatureField],
        body: [UInt8]?,
        covering components: [HTTPSignatureComponent]
    ) -> HTTPSignatureComponent? {
        headerFields.reserveCapacity(headerFields.count + 3)
        guard let body, !body.isEmpty, !configuration.contentDigestAlgorithms.isEmpty else { return nil }
        if !headerFields.contains(where: { $0.name == "content-digest" }) {
            headerFields.append(
                HTTPSignatureField(
                    lowercasedName: "content-digest",
                    value: ContentDigest.fieldValue(for: body, algorithms: configuration.contentDigestAlgorithms)
                )
            )
        }
        let covered = components.contains { $0.name == "content-digest" && !$0.isFromRequest }
        return covered ? nil : HTTPSignatureComponent.contentDigest
    }

    private func makeParameters() -> HTTPSignatureParameters {
        let created = Int64(now().timeIntervalSince1970.rounded(.down))
        var expires: Int64?
        if let expiresAfter = configuration.expiresAfter { expires = created + expiresAfter.components.seconds }
        return HTTPSignatureParameters(
            created: configuration.includeCreated ? created : nil,
            expires: expires,
            nonce: configuration.nonce?(),
            algorithm: configuration.includeAlgorithm && key.algorithm.isRegistered ? key.algorithm : nil,
            keyID: configuration.includeKeyID ? key.keyID : nil,
            tag: configuration.tag
        )
    }

    private func signatureFields(
        for message: SignatureMessage,
        components: [HTTPSignatureComponent],
        appending extra: HTTPSignatureComponent? = nil,
        parameters: HTTPSignatureParameters,
        label: String
    ) throws(HTTPSignatureError) -> (input: HTTPSignatureField, signature: HTTPSignatureField) {
        try parameters.validateTypes()
        if let alg = parameters.algorithmName {
            guard let named = HTTPSignatureAlgorithm(registryName: alg), named == key.algorithm else {
                throw HTTPSignatureError(.algorithmMismatch, "alg \"\(alg)\" does not name the key's algorithm \(key.algorithm)")
            }
        }
        guard StructuredFieldSerializer.isValidKey(label) else {
            throw HTTPSignatureError(.invalidParameter, "label \"\(label)\" is not a valid structured field key")
        }
        if message.headerFields.contains(where: { $0.name == "signature-input" }) {
            let existing = try SignatureFields.parse(fields: message.headerFields)
            guard !existing.contains(where: { $0.label == label }) else {
                throw HTTPSignatureError(.duplicateLabel, "the message already has a signature labelled \"\(label)\"")
            }
        }
        let base = try SignatureBase.build(
            components: components,
            appending: extra,
            parameters: parameters,
            message: message,
            structuredFieldTypes: configuration.structuredFieldTypes
        )
        let signature = try key.sign(base.bytes)

        // Each field value is written straight into its string's storage: `label=(…);…` and `label=:base64:`.
        let labelLength = label.utf8.count
        let input = unsafe String(unsafeUninitializedCapacity: labelLength + 1 + base.signatureParams.count) { buffer in
            var position = unsafe buffer.initialize(fromContentsOf: label.utf8)
            unsafe buffer[position] = UInt8(ascii: "=")
            position += 1
            for byte in base.signatureParams {
                unsafe buffer[position] = byte
                position += 1
            }
            return position
        }
        let value = unsafe String(unsafeUninitializedCapacity: labelLength + 3 + Base64.paddedLength(signature.count)) { buffer in
            var position = unsafe buffer.initialize(fromContentsOf: label.utf8)
            unsafe buffer[position] = UInt8(ascii: "=")
            unsafe buffer[position + 1] = UInt8(ascii: ":")
            position = unsafe signature.withUnsafeBytes { unsafe Base64.write($0, to: buffer, at: position + 2) }
            unsafe buffer[position] = UInt8(ascii: ":")
            return position + 1
        }
        return (
            HTTPSignatureField(lowercasedName: "signature-input", value: input),
            HTTPSignatureField(lowercasedName: "signature", value: value)
        )
    }
}
