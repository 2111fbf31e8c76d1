/// Builds the signature base (RFC 9421 §2.5): one `"identifier": value` line per covered component and a final
/// `"@signature-params"` line, LF-separated, no trailing LF. Any error aborts; no partial base is ever produced.
struct SignatureBase {
    /// The bytes to sign or verify.
    var bytes: [UInt8]
    /// The serialized `@signature-params` value, which is also the `Signature-Input` member value (§4.1).
    var signatureParams: [UInt8]

    static func build(
        components: [HTTPSignatureComponent],
        parameters: HTTPSignatureParameters,
        message: SignatureMessage,
        structuredFieldTypes: [String: StructuredFieldType]
    ) throws(HTTPSignatureError) -> SignatureBase {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        var context = ComponentContext(message: message, structuredFieldTypes: structuredFieldTypes)
        for (position, component) in components.enumerated() {
            for earlier in components[..<position] where earlier == component {
                throw HTTPSignatureError(.duplicateComponent, "\(component) is covered twice")
            }
            do {
                try component.serialize(into: &out)
            } catch {
                throw HTTPSignatureError(.invalidComponent, "cannot serialize \(component.name): \(error.reason)")
            }
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: " "))
            try context.appendValue(of: component, to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        var signatureParams: [UInt8] = []
        signatureParams.reserveCapacity(160)
        do {
            try StructuredFieldSerializer.serializeInnerList(
                components.map(\.item),
                parameters: parameters.entries,
                into: &signatureParams
            )
        } catch {
            throw HTTPSignatureError(.invalidParameter, "cannot serialize @signature-params: \(error.reason)")
        }
        out.append(contentsOf: #""@signature-params": "#.utf8)
        out.append(contentsOf: signatureParams)
        // §2.5 step 4: the base is ASCII. Field values were checked; this also covers parameters.
        for byte in out where byte > 0x7E {
            throw HTTPSignatureError(.invalidComponentValue, "signature base contains a non-ASCII byte")
        }
        return SignatureBase(bytes: out, signatureParams: signatureParams)
    }
}

/// Computes component values (RFC 9421 §2.1, §2.2) for one message.
struct ComponentContext {
    let message: SignatureMessage
    let structuredFieldTypes: [String: StructuredFieldType]
    private var targetCache: TargetURI?

    init(message: SignatureMessage, structuredFieldTypes: [String: StructuredFieldType]) {
        self.message = message
        self.structuredFieldTypes = structuredFieldTypes
    }

    private static let fieldParameters: Set<String> = ["sf", "key", "bs", "tr", "req"]

    mutating func appendValue(of component: HTTPSignatureComponent, to out: inout [UInt8]) throws(HTTPSignatureError) {
        var fromRequest = false
        var structured = false
        var byteSequence = false
        var trailer = false
        var dictionaryKey: String?
        var queryName: String?
        for parameter in component.parameters {
            switch (parameter.key, parameter.value) {
            case ("req", .boolean(true)): fromRequest = true
            case ("sf", .boolean(true)): structured = true
            case ("bs", .boolean(true)): byteSequence = true
            case ("tr", .boolean(true)): trailer = true
            case ("key", .string(let key)): dictionaryKey = key
            case ("name", .string(let name)): queryName = name
            default:
                throw HTTPSignatureError(.invalidComponent, "unsupported component parameter \"\(parameter.key)\" on \(component.name)")
            }
        }
        // §2.4: `req` only in response signatures, and the request must be known.
        let target: SignatureMessage
        if fromRequest {
            guard case .response(let response) = message else {
                throw HTTPSignatureError(.invalidComponent, "\"req\" is not allowed in a request signature")
            }
            guard let request = response.request else {
                throw HTTPSignatureError(.invalidComponent, "\(component.name);req needs the request that caused the response")
            }
            target = .request(request)
        } else {
            target = message
        }

        if component.isDerived {
            guard !structured, !byteSequence, !trailer, dictionaryKey == nil else {
                throw HTTPSignatureError(.invalidComponent, "field parameters are not allowed on \(component.name)")
            }
            guard queryName == nil || component.name == "@query-param" else {
                throw HTTPSignatureError(.invalidComponent, "\"name\" is only allowed on @query-param")
            }
            let start = out.count
            try appendDerived(component.name, queryName: queryName, target: target, fromRequest: fromRequest, to: &out)
            // §2.2: derived values are printable ASCII and spaces, without leading or trailing whitespace.
            for byte in out[start...] where byte < 0x20 || byte > 0x7E {
                throw HTTPSignatureError(.invalidComponentValue, "\(component.name) has a non-printable value")
            }
            return
        }

        guard queryName == nil else { throw HTTPSignatureError(.invalidComponent, "\"name\" is only allowed on @query-param") }
        guard !(byteSequence && (structured || dictionaryKey != nil)) else {
            throw HTTPSignatureError(.invalidComponent, "\"bs\" cannot be combined with \"sf\" or \"key\"")
        }
        guard !component.name.isEmpty, component.name == HTTPSignatureField.lowercased(component.name) else {
            throw HTTPSignatureError(.invalidComponent, "field names must be lower-case")
        }
        let lines = (trailer ? target.trailerFields : target.headerFields).values(named: component.name)
        guard !lines.isEmpty else {
            throw HTTPSignatureError(.missingComponent, "field \"\(component.name)\" is absent\(trailer ? " from the trailers" : "")")
        }
        if byteSequence {
            for (position, line) in lines.enumerated() {
                if position > 0 { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
                let canonical = try Self.canonicalize(line, component: component.name, requireASCII: false)
                out.append(UInt8(ascii: ":"))
                Base64.encode(canonical, into: &out)
                out.append(UInt8(ascii: ":"))
            }
            return
        }
        if !structured && dictionaryKey == nil {
            for (position, line) in lines.enumerated() {
                if position > 0 { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
                out.append(contentsOf: try Self.canonicalize(line, component: component.name, requireASCII: true))
            }
            return
        }
        var combined: [UInt8] = []
        for (position, line) in lines.enumerated() {
            if position > 0 { combined.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
            combined.append(contentsOf: try Self.canonicalize(line, component: component.name, requireASCII: true))
        }
        try appendStructured(combined, name: component.name, dictionaryKey: dictionaryKey, to: &out)
    }

    private func appendStructured(
        _ combined: [UInt8],
        name: String,
        dictionaryKey: String?,
        to out: inout [UInt8]
    ) throws(HTTPSignatureError) {
        var parser = StructuredFieldParser(combined)
        do {
            if let dictionaryKey {
                // §2.1.2: the field must be a Dictionary and the member must exist.
                let entries = try parser.parseDictionary(allowDuplicateKeys: true)
                guard let entry = entries.first(where: { $0.key == dictionaryKey }) else {
                    throw HTTPSignatureError(.missingComponent, "\(name) has no member \"\(dictionaryKey)\"")
                }
                try StructuredFieldSerializer.serializeMember(entry.member, into: &out)
                return
            }
            guard let type = structuredFieldTypes[name] ?? StructuredFieldType.wellKnown[name] else {
                throw HTTPSignatureError(.invalidComponent, "\(name) is not a known structured field; \"sf\" needs its type")
            }
            if type.isDictionary {
                try StructuredFieldSerializer.serializeDictionary(try parser.parseDictionary(allowDuplicateKeys: true), into: &out)
            } else if type.isList {
                try StructuredFieldSerializer.serializeList(try parser.parseList(), into: &out)
            } else {
                try StructuredFieldSerializer.serializeItem(try parser.parseItem(), into: &out)
            }
        } catch let error as HTTPSignatureError {
            throw error
        } catch let error as StructuredFieldParser.ParseFailure {
            throw HTTPSignatureError(.invalidComponentValue, "\(name) is not a valid structured field: \(error.reason)")
        } catch let error as StructuredFieldSerializer.SerializationFailure {
            throw HTTPSignatureError(.invalidComponentValue, "\(name) cannot be re-serialized: \(error.reason)")
        } catch {
            throw HTTPSignatureError(.invalidComponentValue, "\(name) is not a valid structured field")
        }
    }

    private mutating func appendDerived(
        _ name: String,
        queryName: String?,
        target: SignatureMessage,
        fromRequest: Bool,
        to out: inout [UInt8]
    ) throws(HTTPSignatureError) {
        if name == "@status" {
            guard case .response(let response) = target, !fromRequest else {
                throw HTTPSignatureError(.invalidComponent, "@status only applies to responses")
            }
            guard (100...999).contains(response.status) else {
                throw HTTPSignatureError(.invalidComponentValue, "status is not a three-digit code")
            }
            out.append(contentsOf: String(response.status).utf8)
            return
        }
        guard case .request(let request) = target else {
            if name == "@signature-params" {
                throw HTTPSignatureError(.invalidComponent, "@signature-params cannot be covered")
            }
            throw HTTPSignatureError(.invalidComponent, "\(name) needs a request; use \(name);req in a response")
        }
        let uri: TargetURI
        if !fromRequest, let cached = targetCache {
            uri = cached
        } else {
            uri = TargetURI(request: request)
            if !fromRequest { targetCache = uri }
        }
        switch name {
        case "@method": out.append(contentsOf: request.method.utf8)
        case "@target-uri": out.append(contentsOf: uri.targetURI(request: request).utf8)
        case "@authority": out.append(contentsOf: uri.normalizedAuthority.utf8)
        case "@scheme": out.append(contentsOf: uri.scheme.utf8)
        case "@request-target": out.append(contentsOf: request.requestTarget.utf8)
        case "@path": out.append(contentsOf: uri.normalizedPath.utf8)
        case "@query": out.append(contentsOf: uri.queryComponent.utf8)
        case "@query-param":
            guard let queryName else { throw HTTPSignatureError(.invalidComponent, "@query-param needs a \"name\" parameter") }
            let wanted = Array(queryName.utf8)
            var found: [UInt8]?
            for pair in QueryParameters.reencodedPairs(uri.query ?? "") where pair.name == wanted {
                // §2.2.8: a repeated parameter name MUST NOT be covered.
                guard found == nil else {
                    throw HTTPSignatureError(.invalidComponentValue, "query parameter \"\(queryName)\" occurs more than once")
                }
                found = pair.value
            }
            guard let found else { throw HTTPSignatureError(.missingComponent, "query parameter \"\(queryName)\" is absent") }
            out.append(contentsOf: found)
        case "@signature-params":
            throw HTTPSignatureError(.invalidComponent, "@signature-params cannot be covered")
        default:
            throw HTTPSignatureError(.invalidComponent, "unknown derived component \(name)")
        }
    }

    /// Canonicalizes one field line (RFC 9421 §2.1): trims leading and trailing whitespace and replaces each
    /// obs-fold (RFC 9112 §5.2) with a single space. A bare newline that is not a fold is an error.
    static func canonicalize(_ value: String, component: String, requireASCII: Bool) throws(HTTPSignatureError) -> [UInt8] {
        let bytes = value.utf8
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
            index = bytes.index(after: index)
        }
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                var next = bytes.index(after: index)
                if byte == UInt8(ascii: "\r") {
                    guard next < bytes.endIndex, bytes[next] == UInt8(ascii: "\n") else {
                        throw HTTPSignatureError(.invalidComponentValue, "\(component) contains a bare CR")
                    }
                    next = bytes.index(after: next)
                }
                guard next < bytes.endIndex, bytes[next] == UInt8(ascii: " ") || bytes[next] == UInt8(ascii: "\t") else {
                    throw HTTPSignatureError(.invalidComponentValue, "\(component) contains a newline")
                }
                while let last = out.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { out.removeLast() }
                while next < bytes.endIndex, bytes[next] == UInt8(ascii: " ") || bytes[next] == UInt8(ascii: "\t") {
                    next = bytes.index(after: next)
                }
                out.append(UInt8(ascii: " "))
                index = next
                continue
            }
            if requireASCII, byte > 0x7E || (byte < 0x20 && byte != UInt8(ascii: "\t")) {
                throw HTTPSignatureError(.invalidComponentValue, "\(component) has a non-ASCII or control byte; cover it with \"bs\"")
            }
            if byte == 0 { throw HTTPSignatureError(.invalidComponentValue, "\(component) contains NUL") }
            out.append(byte)
            index = bytes.index(after: index)
        }
        while let last = out.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { out.removeLast() }
        return out
    }
}
