/// Builds the signature base (RFC 9421 §2.5): one `"identifier": value` line per covered component and a final
/// `"@signature-params"` line, LF-separated, no trailing LF. Any error aborts; no partial base is ever produced.
struct SignatureBase {
    /// The bytes to sign or verify.
    var bytes: [UInt8]
    /// Where the serialized `@signature-params` value starts in ``bytes`` (it runs to the end).
    private var signatureParamsStart: Int

    /// The serialized `@signature-params` value, which is also the `Signature-Input` member value (§4.1).
    var signatureParams: ArraySlice<UInt8> { bytes[signatureParamsStart...] }

    /// Builds the base over `components`, followed by `appending` when given (the signer adds `content-digest`
    /// this way without copying the caller's list).
    static func build(
        components: [HTTPSignatureComponent],
        appending extra: HTTPSignatureComponent? = nil,
        parameters: HTTPSignatureParameters,
        message: SignatureMessage,
        structuredFieldTypes: [String: StructuredFieldType]
    ) throws(HTTPSignatureError) -> SignatureBase {
        if case .request(let request) = message,
            let base = plainRequestBase(components: components, appending: extra, parameters: parameters, request: request)
        {
            return base
        }
        return try buildComponentByComponent(
            components: components,
            appending: extra,
            parameters: parameters,
            message: message,
            structuredFieldTypes: structuredFieldTypes
        )
    }

    /// The general path: every component kind and parameter, with precise errors.
    static func buildComponentByComponent(
        components: [HTTPSignatureComponent],
        appending extra: HTTPSignatureComponent? = nil,
        parameters: HTTPSignatureParameters,
        message: SignatureMessage,
        structuredFieldTypes: [String: StructuredFieldType]
    ) throws(HTTPSignatureError) -> SignatureBase {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        // The inner list of @signature-params holds the same identifier bytes (§2.3), collected as we go.
        var identifiers: [UInt8] = [UInt8(ascii: "(")]
        identifiers.reserveCapacity(128)
        var context = ComponentContext(message: message, structuredFieldTypes: structuredFieldTypes)
        for position in components.indices {
            try checkNotCoveredEarlier(components[position], in: components[..<position])
            try append(components[position], first: position == 0, to: &out, identifiers: &identifiers, context: &context)
        }
        if let extra {
            try checkNotCoveredEarlier(extra, in: components[...])
            try append(extra, first: components.isEmpty, to: &out, identifiers: &identifiers, context: &context)
        }
        identifiers.append(UInt8(ascii: ")"))
        do throws(StructuredFieldSerializer.SerializationFailure) {
            try StructuredFieldSerializer.serializeParameters(parameters.entries, into: &identifiers)
        } catch {
            throw HTTPSignatureError(.invalidParameter, "cannot serialize @signature-params: \(error.reason)")
        }
        out.append(contentsOf: #""@signature-params": "#.utf8)
        let paramsStart = out.count
        out.append(contentsOf: identifiers)
        // §2.5 step 4 (the base is ASCII) holds by construction: field values are checked in `canonicalize`,
        // derived values in `appendValue`, and everything structured goes through the strict serializer.
        return SignatureBase(bytes: out, signatureParamsStart: paramsStart)
    }

    /// The common case — a request signature covering `@method`, `@request-target`, an origin-form `@target-uri` and
    /// plain header fields, none with parameters (the GNAP profile) — built in one pass straight from the request,
    /// without the per-component context (which cost a third of the base in copies and reference counting). Anything
    /// else, including every error, returns `nil` and takes the general path, which produces the same bytes
    /// (`SignatureBaseFastPathTests` compares the two) or the precise error.
    static func plainRequestBase(
        components: [HTTPSignatureComponent],
        appending extra: HTTPSignatureComponent?,
        parameters: HTTPSignatureParameters,
        request: HTTPSignatureRequest
    ) -> SignatureBase? {
        let count = components.count + (extra == nil ? 0 : 1)
        func componentName(_ position: Int) -> String {
            position < components.count ? components[position].name : extra?.name ?? ""
        }
        guard count > 0, components.allSatisfy({ $0.parameters.isEmpty }), extra?.parameters.isEmpty ?? true else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(512)
        for position in 0..<count {
            let name = componentName(position)
            // Identifiers that serialize as themselves in quotes: printable ASCII without space, quote, backslash or
            // upper case. A name covered twice falls back too (the general path reports it).
            guard !name.isEmpty,
                ASCIIBytes.all(
                    name,
                    {
                        $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\")
                            && ($0 < UInt8(ascii: "A") || $0 > UInt8(ascii: "Z"))
                    }
                )
            else { return nil }
            for earlier in 0..<position where componentName(earlier) == name { return nil }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":"), UInt8(ascii: " ")])
            let valueStart = out.count
            if name.utf8.first == UInt8(ascii: "@") {
                switch name {
                case "@method": out.append(contentsOf: request.method.utf8)
                case "@request-target": out.append(contentsOf: request.requestTarget.utf8)
                case "@target-uri" where request.requestTarget.utf8.first == UInt8(ascii: "/"):
                    TargetURI.appendOriginFormTargetURI(
                        scheme: request.scheme,
                        authority: request.authority,
                        target: request.requestTarget,
                        to: &out
                    )
                default: return nil
                }
                // §2.2: derived values are printable ASCII.
                for byte in out[valueStart...] where byte < 0x20 || byte > 0x7E { return nil }
            } else {
                var found = false
                for field in request.headerFields where field.name == name {
                    if found { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
                    found = true
                    do {
                        try ComponentContext.canonicalize(field.value, component: name, requireASCII: true, into: &out)
                    } catch {
                        return nil
                    }
                }
                guard found else { return nil }
            }
            out.append(UInt8(ascii: "\n"))
        }
        out.append(contentsOf: #""@signature-params": "#.utf8)
        let paramsStart = out.count
        out.append(UInt8(ascii: "("))
        for position in 0..<count {
            if position > 0 { out.append(UInt8(ascii: " ")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: componentName(position).utf8)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: ")"))
        do {
            try StructuredFieldSerializer.serializeParameters(parameters.entries, into: &out)
        } catch {
            return nil
        }
        return SignatureBase(bytes: out, signatureParamsStart: paramsStart)
    }

    /// §2.5 step 2.1: a component may be covered once.
    private static func checkNotCoveredEarlier(
        _ component: HTTPSignatureComponent,
        in earlier: ArraySlice<HTTPSignatureComponent>
    ) throws(HTTPSignatureError) {
        let length = component.name.utf8.count
        for index in earlier.indices {
            // Length first: a cheap filter before the parameter-order-insensitive comparison.
            if earlier[index].name.utf8.count == length, earlier[index] == component {
                throw HTTPSignatureError(.duplicateComponent, "\(component) is covered twice")
            }
        }
    }

    /// Appends the `"identifier": value` line of one component and its identifier to the inner list.
    private static func append(
        _ component: HTTPSignatureComponent,
        first: Bool,
        to out: inout [UInt8],
        identifiers: inout [UInt8],
        context: inout ComponentContext
    ) throws(HTTPSignatureError) {
        if !first { identifiers.append(UInt8(ascii: " ")) }
        let start = identifiers.count
        do throws(StructuredFieldSerializer.SerializationFailure) {
            try component.serialize(into: &identifiers)
        } catch {
            throw HTTPSignatureError(.invalidComponent, "cannot serialize \(component.name): \(error.reason)")
        }
        out.append(contentsOf: identifiers[start...])
        out.append(UInt8(ascii: ":"))
        out.append(UInt8(ascii: " "))
        try context.appendValue(of: component, to: &out)
        out.append(UInt8(ascii: "\n"))
    }
}

/// The control data that derived components read (RFC 9421 §2.2), copied out of a request — four short strings,
/// most stored inline — with its target URI parsed on first use (most signatures cover only `@method` and an
/// origin-form `@target-uri`, which need no parse).
private struct ControlData {
    let method: String
    let scheme: String
    let authority: String
    let requestTarget: String
    private var parsedTarget: TargetURI?

    init(_ request: HTTPSignatureRequest) {
        (method, scheme, authority, requestTarget) = (request.method, request.scheme, request.authority, request.requestTarget)
    }

    mutating func target() -> TargetURI {
        if let parsedTarget { return parsedTarget }
        let target = TargetURI(scheme: scheme, authority: authority, requestTarget: requestTarget)
        parsedTarget = target
        return target
    }
}

/// Computes component values (RFC 9421 §2.1, §2.2) for one message.
struct ComponentContext {
    let structuredFieldTypes: [String: StructuredFieldType]
    /// The message's own fields.
    private let headerFields: [HTTPSignatureField]
    private let trailerFields: [HTTPSignatureField]
    /// The control data of the request itself, when `req` is absent (requests only).
    private var own: ControlData?
    /// The request that caused a response, for `req` (§2.4): its control data and fields.
    private var causing: ControlData?
    private let causingHeaderFields: [HTTPSignatureField]
    private let causingTrailerFields: [HTTPSignatureField]
    private let isResponse: Bool
    private let status: Int?

    init(message: SignatureMessage, structuredFieldTypes: [String: StructuredFieldType]) {
        self.structuredFieldTypes = structuredFieldTypes
        switch message {
        case .request(let request):
            (headerFields, trailerFields, own, causing) = (request.headerFields, request.trailerFields, ControlData(request), nil)
            (causingHeaderFields, causingTrailerFields) = ([], [])
            (isResponse, status) = (false, nil)
        case .response(let response):
            (headerFields, trailerFields, own) = (response.headerFields, response.trailerFields, nil)
            causing = response.request.map(ControlData.init)
            (causingHeaderFields, causingTrailerFields) = (response.request?.headerFields ?? [], response.request?.trailerFields ?? [])
            (isResponse, status) = (true, response.status)
        }
    }

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
        if fromRequest {
            guard isResponse else {
                throw HTTPSignatureError(.invalidComponent, "\"req\" is not allowed in a request signature")
            }
            guard causing != nil else {
                throw HTTPSignatureError(.invalidComponent, "\(component.name);req needs the request that caused the response")
            }
        }

        if component.isDerived {
            guard !structured, !byteSequence, !trailer, dictionaryKey == nil else {
                throw HTTPSignatureError(.invalidComponent, "field parameters are not allowed on \(component.name)")
            }
            guard queryName == nil || component.name == "@query-param" else {
                throw HTTPSignatureError(.invalidComponent, "\"name\" is only allowed on @query-param")
            }
            let start = out.count
            try appendDerived(component.name, queryName: queryName, fromRequest: fromRequest, to: &out)
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
        guard !component.name.isEmpty,
            ASCIIBytes.all(component.name, { $0 < UInt8(ascii: "A") || $0 > UInt8(ascii: "Z") })
        else {
            throw HTTPSignatureError(.invalidComponent, "field names must be lower-case")
        }
        let fields: [HTTPSignatureField]
        if fromRequest {
            fields = trailer ? causingTrailerFields : causingHeaderFields
        } else {
            fields = trailer ? trailerFields : headerFields
        }
        if !structured && dictionaryKey == nil && !byteSequence {
            // Hot path: plain field, canonicalized straight into the base.
            var found = false
            for index in fields.indices where fields[index].name == component.name {
                if found { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
                found = true
                try Self.canonicalize(fields[index].value, component: component.name, requireASCII: true, into: &out)
            }
            guard found else {
                throw HTTPSignatureError(.missingComponent, "field \"\(component.name)\" is absent\(trailer ? " from the trailers" : "")")
            }
            return
        }
        let lines = fields.values(named: component.name)
        guard !lines.isEmpty else {
            throw HTTPSignatureError(.missingComponent, "field \"\(component.name)\" is absent\(trailer ? " from the trailers" : "")")
        }
        if byteSequence {
            for (position, line) in lines.enumerated() {
                if position > 0 { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
                var canonical: [UInt8] = []
                try Self.canonicalize(line, component: component.name, requireASCII: false, into: &canonical)
                out.append(UInt8(ascii: ":"))
                Base64.encode(canonical, into: &out)
                out.append(UInt8(ascii: ":"))
            }
            return
        }
        var combined: [UInt8] = []
        for (position, line) in lines.enumerated() {
            if position > 0 { combined.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
            try Self.canonicalize(line, component: component.name, requireASCII: true, into: &combined)
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
        fromRequest: Bool,
        to out: inout [UInt8]
    ) throws(HTTPSignatureError) {
        if name == "@status" {
            guard let status, !fromRequest else {
                throw HTTPSignatureError(.invalidComponent, "@status only applies to responses")
            }
            guard (100...999).contains(status) else {
                throw HTTPSignatureError(.invalidComponentValue, "status is not a three-digit code")
            }
            out.append(contentsOf: String(status).utf8)
            return
        }
        guard let control = fromRequest ? causing : own else {
            if name == "@signature-params" {
                throw HTTPSignatureError(.invalidComponent, "@signature-params cannot be covered")
            }
            throw HTTPSignatureError(.invalidComponent, "\(name) needs a request; use \(name);req in a response")
        }
        switch name {
        case "@method":
            out.append(contentsOf: control.method.utf8)
            return
        case "@request-target":
            out.append(contentsOf: control.requestTarget.utf8)
            return
        case "@target-uri" where control.requestTarget.utf8.first == UInt8(ascii: "/"):
            // Origin form, the usual case: scheme (lower-cased) "://" authority target, with no URI parse.
            TargetURI.appendOriginFormTargetURI(
                scheme: control.scheme,
                authority: control.authority,
                target: control.requestTarget,
                to: &out
            )
            return
        default: break
        }
        // Parsed in place, once, so that further URI components of the same request reuse it.
        guard let uri = fromRequest ? causing?.target() : own?.target() else {
            throw HTTPSignatureError(.invalidComponent, "\(name) needs a request")
        }
        switch name {
        case "@target-uri": uri.appendTargetURI(requestTarget: control.requestTarget, to: &out)
        case "@authority": uri.appendNormalizedAuthority(to: &out)
        case "@scheme": out.append(contentsOf: uri.scheme.utf8)
        case "@path": out.append(contentsOf: uri.normalizedPath.utf8)
        case "@query": uri.appendQuery(to: &out)
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
    static func canonicalize(
        _ value: String,
        component: String,
        requireASCII: Bool,
        into out: inout [UInt8]
    ) throws(HTTPSignatureError) {
        // Fast path: a value that needs no change (no surrounding whitespace, no folds, printable ASCII) is copied
        // as is. Most field values are like that.
        let utf8 = value.utf8
        guard let first = utf8.first, let last = utf8.last else { return }
        let clean =
            first != 0x20 && first != 0x09 && last != 0x20 && last != 0x09 && ASCIIBytes.all(value) { $0 >= 0x20 && $0 <= 0x7E }
        if clean {
            out.append(contentsOf: value.utf8)
            return
        }
        let bytes = value.utf8
        let start = out.count
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
                while out.count > start, let last = out.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
                    out.removeLast()
                }
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
        while out.count > start, let last = out.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { out.removeLast() }
    }
}
