import Foundation
import TesseraEngine

extension ConfigurationLoader {
    /// `policy:` — the owner's Cedar policies for the one decision point (docs/policy.md):
    ///
    /// ```yaml
    /// policy:
    ///   file: policy.cedar        # Cedar text, validated against the built-in vocabulary
    ///   replace_defaults: false   # true: the shipped defaults no longer apply
    /// ```
    ///
    /// The file is read, parsed and validated here: a set with any error stops the server before it
    /// answers a request (fail closed), with every problem and its `file:line:column`.
    struct FilePolicy: Decodable {
        var file: String
        var replaceDefaults: Bool?

        enum CodingKeys: String, CodingKey {
            case file
            case replaceDefaults = "replace_defaults"
        }

        func apply(to configuration: inout ServerConfiguration) throws(ConfigurationError) {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError(field: "policy.file", "cannot read '\(file)'")
            }
            do {
                configuration.policy = try OwnerPolicy(text: text, source: file, includesDefaults: !(replaceDefaults ?? false))
            } catch {
                throw ConfigurationError(
                    field: "policy.file",
                    "the policy set is refused (the server does not start with it):\n\(error.description)"
                )
            }
        }
    }
}
