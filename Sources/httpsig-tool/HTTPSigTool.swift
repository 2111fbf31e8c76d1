// httpsig-tool: a small JSON-over-stdio front end to HTTPMessageSignatures, used by the Python interop tests
// (Tests/Interop/test_httpsig_interop.py) and for the benchmark.
//
//   httpsig-tool sign   < request.json   → {"ok":true,"headers":[[name,value],...],"base":"..."}
//   httpsig-tool verify < request.json   → {"ok":true,"label":"sig1","keyid":"..."} or {"ok":false,"code":"...","message":"..."}
//   httpsig-tool bench [iterations]      → a table of timings (build with -c release)
//
// Input document (sign and verify):
//   {"message": {"method": "POST", "url": "https://h/p?q", "headers": [["Host","h"],...], "body": "<base64>",
//                "status": 200, "request": {...}},            // status/request for responses
//    "key": {"jwk": {...}} | {"pem": "...", "keyid": "..."} | {"hmac": "<base64>", "keyid": "..."},
//    "alg": "rsa-pss-sha512",                                   // optional; needed for RSA PEM keys
//    "label": "sig1", "components": ["@method", "\"@query-param\";name=\"x\"", ...],
//    "params": {"created": 1618884473, "keyid": "k", "nonce": "n", "tag": "gnap", "alg": "...", "expires": 1},
//    "content_digest": ["sha-256"],                             // sign: add Content-Digest for the body
//    "sf_types": {"example-dict": "dictionary"},                // types for the sf parameter
//    "policy": {"tag": "gnap", "gnap": true, "required": ["@method"], "max_age": 300, "now": 1618884480,
//               "allow_hmac": true, "nonce_seen": ["..."]}}
import Foundation
import HTTPMessageSignatures

@main
struct HTTPSigTool {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        guard let mode = arguments.first else {
            FileHandle.standardError.write(Data("usage: httpsig-tool sign|verify|bench\n".utf8))
            exit(64)
        }
        switch mode {
        case "bench":
            let iterations = arguments.dropFirst().first.flatMap { Int($0) } ?? 20_000
            do {
                try await Benchmark.run(iterations: iterations)
            } catch {
                FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
                exit(1)
            }
        case "sign", "verify":
            let input = FileHandle.standardInput.readDataToEndOfFile()
            let output: [String: Any]
            do {
                guard let document = try JSONSerialization.jsonObject(with: input) as? [String: Any] else {
                    throw ToolError("input is not a JSON object")
                }
                output = mode == "sign" ? try sign(document) : try await verify(document)
            } catch let error as HTTPSignatureError {
                output = ["ok": false, "code": error.code.description, "message": error.message]
            } catch {
                output = ["ok": false, "code": "toolError", "message": "\(error)"]
            }
            let data = (try? JSONSerialization.data(withJSONObject: output, options: [.sortedKeys])) ?? Data("{}".utf8)
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        default:
            FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
            exit(64)
        }
    }

    // MARK: - sign

    static func sign(_ document: [String: Any]) throws -> [String: Any] {
        let message = try Message(document["message"])
        let algorithm = try algorithmOption(document["alg"])
        let key = try signingKey(document["key"], algorithm: algorithm)
        let components = try (document["components"] as? [String] ?? []).map { try HTTPSignatureComponent(parsing: $0) }
        let parameters = try parametersOption(document["params"])
        let label = document["label"] as? String ?? "sig1"
        let digests = (document["content_digest"] as? [String] ?? []).compactMap(ContentDigest.Algorithm.init(key:))
        var configuration = HTTPMessageSigner.Configuration()
        configuration.structuredFieldTypes = try structuredTypes(document["sf_types"])
        let signer = HTTPMessageSigner(key: key, configuration: configuration, now: { Date() })
        switch message {
        case .request(var request):
            if let body = request.body, !digests.isEmpty, request.headerValue("content-digest") == nil {
                request.appendHeader(name: "Content-Digest", value: ContentDigest.fieldValue(for: body, algorithms: digests))
            }
            let base = try HTTPMessageSigner.signatureBase(
                for: request,
                components: components,
                parameters: parameters,
                structuredFieldTypes: configuration.structuredFieldTypes
            )
            try signer.sign(&request, components: components, parameters: parameters, label: label)
            return ["ok": true, "headers": request.headerFields.map { [$0.name, $0.value] }, "base": base]
        case .response(var response):
            if let body = response.body, !digests.isEmpty, response.headerValue("content-digest") == nil {
                response.appendHeader(name: "Content-Digest", value: ContentDigest.fieldValue(for: body, algorithms: digests))
            }
            let base = try HTTPMessageSigner.signatureBase(
                for: response,
                components: components,
                parameters: parameters,
                structuredFieldTypes: configuration.structuredFieldTypes
            )
            try signer.sign(&response, components: components, parameters: parameters, label: label)
            return ["ok": true, "headers": response.headerFields.map { [$0.name, $0.value] }, "base": base]
        }
    }

    // MARK: - verify

    static func verify(_ document: [String: Any]) async throws -> [String: Any] {
        let message = try Message(document["message"])
        let algorithm = try algorithmOption(document["alg"])
        let key = try verificationKey(document["key"], algorithm: algorithm)
        let options = document["policy"] as? [String: Any] ?? [:]
        var policy: HTTPSignatureVerificationPolicy = (options["gnap"] as? Bool ?? false) ? .gnap : .init()
        if let tag = options["tag"] as? String { policy.requiredTag = tag }
        if options["tag"] is NSNull { policy.requiredTag = nil }
        if let label = options["label"] as? String { policy.label = label }
        if let required = options["required"] as? [String] {
            policy.requiredComponents = try required.map { try HTTPSignatureComponent(parsing: $0) }
        }
        if options.keys.contains("max_age") {
            policy.maximumAge = (options["max_age"] as? Int).map { .seconds($0) }
        }
        if options["allow_hmac"] as? Bool ?? false { policy.allowedAlgorithms.insert(.hmacSHA256) }
        if options["allow_unknown_params"] as? Bool ?? false { policy.rejectUnknownParameters = false }
        if let requireKeyID = options["require_keyid"] as? Bool { policy.requireKeyID = requireKeyID }
        policy.allowedAlgorithms.insert(key.algorithm)
        policy.structuredFieldTypes = try structuredTypes(document["sf_types"])
        let now = Date(timeIntervalSince1970: (options["now"] as? Double) ?? Date().timeIntervalSince1970)
        let cache = SeenNonces(seen: Set(options["nonce_seen"] as? [String] ?? []))
        let verifier = HTTPMessageVerifier(policy: policy, keys: SingleKey(key: key), replayCache: cache, now: { now })
        let result: HTTPSignatureVerificationResult
        switch message {
        case .request(let request): result = try await verifier.verify(request)
        case .response(let response): result = try await verifier.verify(response)
        }
        switch result {
        case .valid(let signature):
            return [
                "ok": true, "label": signature.label, "keyid": signature.parameters.keyID ?? NSNull(),
                "content_digest_verified": signature.contentDigestVerified,
            ]
        case .invalid(let error):
            return ["ok": false, "code": error.code.description, "message": error.message, "label": error.label ?? NSNull()]
        }
    }

    // MARK: - Inputs

    static func algorithmOption(_ value: Any?) throws -> HTTPSignatureAlgorithm? {
        guard let name = value as? String else { return nil }
        guard let algorithm = HTTPSignatureAlgorithm(registryName: name) ?? HTTPSignatureAlgorithm(jwsAlgorithm: name) else {
            throw ToolError("unknown algorithm \(name)")
        }
        return algorithm
    }

    static func structuredTypes(_ value: Any?) throws -> [String: StructuredFieldType] {
        var types: [String: StructuredFieldType] = [:]
        for (name, type) in value as? [String: String] ?? [:] {
            switch type {
            case "item": types[name] = .item
            case "list": types[name] = .list
            case "dictionary": types[name] = .dictionary
            default: throw ToolError("unknown structured field type \(type)")
            }
        }
        return types
    }

    static func parametersOption(_ value: Any?) throws -> HTTPSignatureParameters {
        let options = value as? [String: Any] ?? [:]
        var algorithm: HTTPSignatureAlgorithm?
        if let name = options["alg"] as? String {
            guard let named = HTTPSignatureAlgorithm(registryName: name) else { throw ToolError("alg \(name) is not registered") }
            algorithm = named
        }
        return HTTPSignatureParameters(
            created: (options["created"] as? Int).map(Int64.init),
            expires: (options["expires"] as? Int).map(Int64.init),
            nonce: options["nonce"] as? String,
            algorithm: algorithm,
            keyID: options["keyid"] as? String,
            tag: options["tag"] as? String
        )
    }

    static func keyText(_ value: Any?) throws -> (kind: String, text: String, keyID: String?) {
        guard let key = value as? [String: Any] else { throw ToolError("missing key") }
        let keyID = key["keyid"] as? String
        if let jwk = key["jwk"] {
            let data = try JSONSerialization.data(withJSONObject: jwk)
            return ("jwk", String(decoding: data, as: UTF8.self), keyID)
        }
        if let pem = key["pem"] as? String { return ("pem", pem, keyID) }
        if let secret = key["hmac"] as? String { return ("hmac", secret, keyID) }
        throw ToolError("key needs jwk, pem or hmac")
    }

    static func signingKey(_ value: Any?, algorithm: HTTPSignatureAlgorithm?) throws -> HTTPSigningKey {
        let (kind, text, keyID) = try keyText(value)
        switch kind {
        case "jwk":
            var key = try HTTPSigningKey(jwk: text, algorithm: algorithm)
            if let keyID { key.keyID = keyID }
            return key
        case "pem": return try HTTPSigningKey(pem: text, algorithm: algorithm, keyID: keyID)
        default:
            guard let secret = Data(base64Encoded: text) else { throw ToolError("hmac secret is not base64") }
            return try HTTPSigningKey(hmacSecret: secret, keyID: keyID)
        }
    }

    static func verificationKey(_ value: Any?, algorithm: HTTPSignatureAlgorithm?) throws -> HTTPVerificationKey {
        let (kind, text, keyID) = try keyText(value)
        switch kind {
        case "jwk":
            var key = try HTTPVerificationKey(jwk: text, algorithm: algorithm)
            if let keyID { key.keyID = keyID }
            return key
        case "pem": return try HTTPVerificationKey(pem: text, algorithm: algorithm, keyID: keyID)
        default:
            guard let secret = Data(base64Encoded: text) else { throw ToolError("hmac secret is not base64") }
            return try HTTPVerificationKey(hmacSecret: secret, keyID: keyID)
        }
    }
}

enum Message {
    case request(HTTPSignatureRequest)
    case response(HTTPSignatureResponse)

    init(_ value: Any?) throws {
        guard let object = value as? [String: Any] else { throw ToolError("missing message") }
        let headers = try (object["headers"] as? [[String]] ?? []).map { pair in
            guard pair.count == 2 else { throw ToolError("a header is a [name, value] pair") }
            return HTTPSignatureField(name: pair[0], value: pair[1])
        }
        var body: [UInt8]?
        if let encoded = object["body"] as? String {
            guard let data = Data(base64Encoded: encoded) else { throw ToolError("body is not base64") }
            body = Array(data)
        }
        if let status = object["status"] as? Int {
            var request: HTTPSignatureRequest?
            if let inner = object["request"] {
                guard case .request(let parsed) = try Message(inner) else { throw ToolError("request must be a request") }
                request = parsed
            }
            self = .response(HTTPSignatureResponse(status: status, headerFields: headers, body: body, request: request))
            return
        }
        guard let method = object["method"] as? String, let url = object["url"] as? String else {
            throw ToolError("a request needs method and url")
        }
        self = .request(try HTTPSignatureRequest(method: method, targetURI: url, headerFields: headers, body: body))
    }
}

struct SingleKey: HTTPSignatureKeyResolver {
    let key: HTTPVerificationKey
    func verificationKey(keyID: String?, parameters: HTTPSignatureParameters) async throws -> HTTPVerificationKey? {
        if let keyID, let own = key.keyID, keyID != own { return nil }
        return key
    }
}

struct SeenNonces: HTTPSignatureReplayCache {
    let seen: Set<String>
    func insertIfAbsent(nonce: String, keyID: String?, expiresAt: Date) async throws -> Bool { !seen.contains(nonce) }
}

struct ToolError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
