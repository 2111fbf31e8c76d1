import Crypto

/// RFC 9530 `Content-Digest`: creation and verification over the content bytes as sent.
///
/// ```swift
/// request.appendHeader(name: "Content-Digest", value: ContentDigest.fieldValue(for: body, algorithms: [.sha256]))
/// try ContentDigest.verify(fieldValue: received, body: body)   // throws contentDigestMismatch on tampering
/// ```
public enum ContentDigest {
    /// A hash algorithm key from the "Hash Algorithms for HTTP Digest Fields" registry (RFC 9530 §7.2). Only the
    /// Active, collision-resistant ones are supported, as RFC 9530 §5 requires in adversarial settings.
    public struct Algorithm: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case sha256 = "sha-256"
            case sha512 = "sha-512"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// `sha-256`.
        public static let sha256 = Self(.sha256)
        /// `sha-512`.
        public static let sha512 = Self(.sha512)

        /// The registry key, e.g. `sha-256`.
        public var key: String { value.rawValue }
        public var description: String { value.rawValue }

        /// Looks up a registry key; deprecated or unknown keys give `nil`.
        public init?(key: String) {
            guard let value = Value(rawValue: key) else { return nil }
            self.value = value
        }

        /// The digest length in bytes.
        var digestLength: Int {
            switch value {
            case .sha256: SHA256.byteCount
            case .sha512: SHA512.byteCount
            }
        }

        /// Hands the digest of `content` to `body` without copying it into an array.
        func withDigest<Result>(of content: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
            switch value {
            case .sha256: unsafe SHA256.hash(data: content).withUnsafeBytes { unsafe body($0) }
            case .sha512: unsafe SHA512.hash(data: content).withUnsafeBytes { unsafe body($0) }
            }
        }

        func digest(_ body: [UInt8]) -> [UInt8] {
            unsafe body.withUnsafeBytes { content in unsafe withDigest(of: content) { unsafe Array($0) } }
        }
    }

    /// The `Content-Digest` field value for `body`, e.g. `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`
    /// (RFC 9530 §2).
    public static func fieldValue(for body: some Collection<UInt8>, algorithms: [Algorithm] = [.sha256]) -> String {
        let bytes = body as? [UInt8] ?? Array(body)
        // One allocation: the digests are encoded straight into the string's storage.
        var capacity = max(0, 2 * (algorithms.count - 1))
        for algorithm in algorithms {
            capacity += algorithm.key.utf8.count + 3 + Base64.paddedLength(algorithm.digestLength)
        }
        return unsafe String(unsafeUninitializedCapacity: capacity) { buffer in
            var position = 0
            for (index, algorithm) in algorithms.enumerated() {
                if index > 0 {
                    unsafe buffer[position] = UInt8(ascii: ",")
                    unsafe buffer[position + 1] = UInt8(ascii: " ")
                    position += 2
                }
                for byte in algorithm.key.utf8 {
                    unsafe buffer[position] = byte
                    position += 1
                }
                unsafe buffer[position] = UInt8(ascii: "=")
                unsafe buffer[position + 1] = UInt8(ascii: ":")
                position += 2
                position = unsafe bytes.withUnsafeBytes { content in
                    unsafe algorithm.withDigest(of: content) { digest in unsafe Base64.write(digest, to: buffer, at: position) }
                }
                unsafe buffer[position] = UInt8(ascii: ":")
                position += 1
            }
            return position
        }
    }

    /// Verifies a `Content-Digest` field value against the content (RFC 9530 §2, RFC 9421 §7.2.8).
    ///
    /// Every member whose algorithm is in `accepted` must match; members with other algorithms are ignored, and at
    /// least one accepted member must be present.
    ///
    /// - Returns: The algorithms that were checked.
    /// - Throws: ``HTTPSignatureError`` with ``HTTPSignatureError/Code/malformedContentDigest``,
    ///   ``HTTPSignatureError/Code/unsupportedDigestAlgorithm`` or ``HTTPSignatureError/Code/contentDigestMismatch``.
    @discardableResult
    public static func verify(
        fieldValue: String,
        body: some Collection<UInt8>,
        accepted: Set<Algorithm> = [.sha256, .sha512]
    ) throws(HTTPSignatureError) -> [Algorithm] {
        var parser = StructuredFieldParser(fieldValue)
        let entries: [StructuredFieldDictionaryEntry]
        do {
            entries = try parser.parseDictionary(allowDuplicateKeys: false)
        } catch {
            throw HTTPSignatureError(.malformedContentDigest, "Content-Digest is not a valid Dictionary: \(error.reason)")
        }
        let bytes = body as? [UInt8] ?? Array(body)
        var checked: [Algorithm] = []
        for entry in entries {
            guard let algorithm = Algorithm(key: entry.key), accepted.contains(algorithm) else { continue }
            guard case .item(let item) = entry.member, case .byteSequence(let expected) = item.bareItem else {
                throw HTTPSignatureError(.malformedContentDigest, "Content-Digest \(entry.key) is not a Byte Sequence")
            }
            guard constantTimeEquals(algorithm.digest(bytes), expected) else {
                throw HTTPSignatureError(.contentDigestMismatch, "Content-Digest \(entry.key) does not match the content")
            }
            checked.append(algorithm)
        }
        guard !checked.isEmpty else {
            throw HTTPSignatureError(.unsupportedDigestAlgorithm, "Content-Digest has no sha-256 or sha-512 member")
        }
        return checked
    }

    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
