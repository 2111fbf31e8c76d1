/// One signature as found in `Signature-Input` and `Signature` (RFC 9421 §4.1, §4.2).
struct ReceivedSignature {
    var label: String
    var components: [HTTPSignatureComponent]
    var parameters: HTTPSignatureParameters
    var signature: [UInt8]
}

/// Parses the `Signature-Input` and `Signature` fields of a message (RFC 9421 §4).
enum SignatureFields {
    /// Joins several field lines with `, ` (RFC 9110 §5.3) into one Dictionary value.
    static func combined(_ lines: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for (position, line) in lines.enumerated() {
            if position > 0 { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
            out.append(contentsOf: line.utf8)
        }
        return out
    }

    /// Every signature on the message, in `Signature-Input` order. Labels must be unique and match one-to-one.
    static func parse(fields: [HTTPSignatureField]) throws(HTTPSignatureError) -> [ReceivedSignature] {
        let inputLines = fields.values(named: "signature-input")
        guard !inputLines.isEmpty else { throw HTTPSignatureError(.missingSignature, "the message has no Signature-Input field") }
        /// One of the two fields as a dictionary; a repeated label is `duplicateLabel`, anything else `malformed`.
        func dictionary(
            _ lines: [String],
            _ name: String,
            malformed: HTTPSignatureError.Code
        ) throws(HTTPSignatureError) -> [StructuredFieldDictionaryEntry] {
            var parser = StructuredFieldParser(combined(lines))
            do {
                return try parser.parseDictionary()
            } catch {
                let code = error.reason.hasPrefix("duplicate key") ? .duplicateLabel : malformed
                throw HTTPSignatureError(code, "\(name): \(error.reason) at byte \(error.offset)")
            }
        }
        let inputs = try dictionary(inputLines, "Signature-Input", malformed: .malformedSignatureInput)
        let signatures = try dictionary(fields.values(named: "signature"), "Signature", malformed: .malformedSignature)
        guard !inputs.isEmpty else { throw HTTPSignatureError(.missingSignature, "Signature-Input is empty") }
        for signature in signatures where !inputs.contains(where: { $0.key == signature.key }) {
            throw HTTPSignatureError(.labelMismatch, "Signature has no Signature-Input", label: signature.key)
        }

        var result: [ReceivedSignature] = []
        result.reserveCapacity(inputs.count)
        for input in inputs {
            guard let signature = signatures.first(where: { $0.key == input.key }) else {
                throw HTTPSignatureError(.labelMismatch, "Signature-Input has no Signature", label: input.key)
            }
            guard case .innerList(let items, let parameters) = input.member else {
                throw HTTPSignatureError(.malformedSignatureInput, "member is not an inner list", label: input.key)
            }
            var components: [HTTPSignatureComponent] = []
            components.reserveCapacity(items.count)
            for item in items {
                guard case .string(let name) = item.bareItem else {
                    throw HTTPSignatureError(.malformedSignatureInput, "component identifiers must be Strings", label: input.key)
                }
                components.append(HTTPSignatureComponent(name: name, parameters: item.parameters))
            }
            guard case .item(let signatureItem) = signature.member, case .byteSequence(let bytes) = signatureItem.bareItem else {
                throw HTTPSignatureError(.malformedSignature, "member is not a Byte Sequence", label: input.key)
            }
            result.append(
                ReceivedSignature(
                    label: input.key,
                    components: components,
                    parameters: HTTPSignatureParameters(entries: parameters),
                    signature: bytes
                )
            )
        }
        return result
    }
}
