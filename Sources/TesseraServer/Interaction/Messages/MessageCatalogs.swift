import Cedar
import Foundation
import Yams

/// The languages the interaction pages speak: English and German shipped, plus any catalog file the
/// deployment names (`message_catalogs:`), chosen per request by `Accept-Language` (RFC 9110 §12.5.4).
struct MessageCatalogs: Sendable {
    /// By lower-case language tag.
    let catalogs: [String: MessageCatalog]

    /// English and German.
    static let shipped = MessageCatalogs(catalogs: ["en": .english, "de": .german])

    /// The catalog the request's `Accept-Language` prefers; English when it names none of them.
    /// - Parameter acceptLanguage: the header's value, if any.
    /// - Returns: the catalog to render the page with.
    func negotiate(_ acceptLanguage: String?) -> MessageCatalog {
        AcceptLanguage(acceptLanguage).lookup(Set(catalogs.keys)).flatMap { catalogs[$0] } ?? catalogs["en"] ?? .english
    }

    /// The shipped catalogs with the deployment's files on top.
    ///
    /// Each file is a YAML (or JSON) mapping of message id to text. An id the pages do not have, a
    /// text whose placeholders differ from the English one (a translation that drops `{who}` would
    /// hide who asks), or a file that is not such a mapping refuses the configuration. An id the file
    /// lacks is taken from the shipped catalog of that language, else from English, and named in a
    /// warning.
    /// - Parameters:
    ///   - files: language tag → path of its catalog file.
    ///   - read: reads a file's text (injected for tests).
    /// - Returns: the catalogs and one warning per file with missing ids.
    /// - Throws: ``ConfigurationError`` naming `message_catalogs.<tag>`.
    static func load(
        files: [String: String],
        read: (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) }
    ) throws(ConfigurationError) -> (catalogs: MessageCatalogs, warnings: [String]) {
        var catalogs = shipped.catalogs
        var warnings: [String] = shipped.catalogs.values.sorted { $0.language < $1.language }.compactMap(Self.shippedProblem)
        for (givenTag, path) in files.sorted(by: { $0.key < $1.key }) {
            let tag = givenTag.lowercased()
            let field = "message_catalogs.\(givenTag)"
            guard tag != "*", AcceptLanguage.isRange(tag) else {
                throw ConfigurationError(field: field, "is not a language tag (RFC 5646)")
            }
            let text: String
            do { text = try read(path) } catch { throw ConfigurationError(field: field, "cannot read \(path): \(error)") }
            let entries: [String: String]
            do {
                entries = try YAMLDecoder().decode([String: String].self, from: text)
            } catch {
                throw ConfigurationError(field: field, "\(path) is not a mapping of message ids to text: \(error)")
            }
            let base = catalogs[tag] ?? .english
            var messages = base.messages
            let phrases = entries.filter { $0.key.hasPrefix(Self.phrasePrefix) }
            let explanation = try Self.explanation(phrases, tag: tag, over: base.explanationPhrases, field: field, path: path)
            for (key, value) in entries where !key.hasPrefix(Self.phrasePrefix) {
                guard let id = MessageID(rawValue: key) else {
                    throw ConfigurationError(field: field, "'\(key)' in \(path) is not a message id (docs/gnap-interaction.md lists them)")
                }
                let expected = MessageCatalog.placeholders(MessageCatalog.english[id])
                let found = MessageCatalog.placeholders(value)
                guard found == expected else {
                    let names = expected.sorted().map { "{\($0)}" }.joined(separator: ", ")
                    throw ConfigurationError(
                        field: field,
                        "'\(key)' in \(path) must use exactly the placeholders \(names.isEmpty ? "(none)" : names)"
                    )
                }
                messages[id] = value
            }
            let missing = MessageID.allCases.filter { entries[$0.rawValue] == nil }
            if !missing.isEmpty {
                let from = catalogs[tag] == nil ? "English" : "the shipped '\(tag)' text"
                let listed = missing.prefix(8).map(\.rawValue).joined(separator: ", ") + (missing.count > 8 ? ", …" : "")
                warnings.append(
                    "\(field): \(path) lacks \(missing.count) of \(MessageID.allCases.count) messages, shown in \(from): \(listed)"
                )
            }
            if let warning = Self.missingPhrases(phrases, tag: tag, builtIn: catalogs[tag] != nil, field: field, path: path) {
                warnings.append(warning)
            }
            catalogs[tag] = MessageCatalog(language: tag, messages: messages, explanation: explanation)
        }
        return (MessageCatalogs(catalogs: catalogs), warnings)
    }

    /// The prefix of a catalog entry that words the Cedar explanations on the consent cards:
    /// `cedar.sentence.permit` is ``ExplanationPhrases/ID/sentencePermit`` (docs/cedar.md, "Languages").
    static let phrasePrefix = "cedar."

    /// A catalog file's Cedar explanation phrases on top of `base` (each phrase not given stays
    /// `base`'s: English for a new language, the shipped German for `de`); `nil` when it gives none.
    /// - Parameters:
    ///   - entries: the file's `cedar.*` entries.
    ///   - tag: the catalog's language.
    ///   - base: the phrases the file's build on.
    ///   - field: `message_catalogs.<tag>`, for errors.
    ///   - path: the file, for errors.
    /// - Returns: the phrases, or `nil`.
    /// - Throws: ``ConfigurationError`` for an unknown phrase or a changed placeholder.
    static func explanation(
        _ entries: [String: String],
        tag: String,
        over base: ExplanationPhrases,
        field: String,
        path: String
    ) throws(ConfigurationError) -> ExplanationPhrases? {
        guard !entries.isEmpty else { return nil }
        var templates: [String: String] = [:]
        for (key, value) in entries { templates[String(key.dropFirst(phrasePrefix.count))] = value }
        do {
            return try ExplanationPhrases(language: tag, templates: templates, over: base)
        } catch {
            throw ConfigurationError(field: field, "\(path): \(error.message) (write it as '\(phrasePrefix)<phrase id>')")
        }
    }

    /// The warning for a new language whose file leaves Cedar explanation phrases to English.
    /// - Parameters:
    ///   - entries: the file's `cedar.*` entries.
    ///   - tag: the catalog's language.
    ///   - builtIn: whether the language has shipped phrases (they fill the gaps, no warning).
    ///   - field: `message_catalogs.<tag>`.
    ///   - path: the file.
    /// - Returns: the warning, or `nil`.
    static func missingPhrases(_ entries: [String: String], tag: String, builtIn: Bool, field: String, path: String) -> String? {
        guard !builtIn else { return nil }
        let missing = ExplanationPhrases.ID.allCases.filter { entries[phrasePrefix + $0.rawValue] == nil }
        guard !missing.isEmpty else { return nil }
        let listed = missing.prefix(4).map { phrasePrefix + $0.rawValue }.joined(separator: ", ") + (missing.count > 4 ? ", …" : "")
        return "\(field): \(path) lacks \(missing.count) of \(ExplanationPhrases.ID.allCases.count) Cedar explanation phrases, "
            + "shown in English: \(listed)"
    }

    /// What a shipped translation lacks or gets wrong (a missing id or a placeholder that differs
    /// from English), for the start-up log; `nil` when it is complete.
    /// - Parameter catalog: a shipped catalog.
    /// - Returns: the warning, if any.
    static func shippedProblem(_ catalog: MessageCatalog) -> String? {
        let wrong = MessageID.allCases.filter { id in
            guard let text = catalog.messages[id] else { return true }
            return MessageCatalog.placeholders(text) != MessageCatalog.placeholders(MessageCatalog.english[id])
        }
        guard !wrong.isEmpty else { return nil }
        return
            "the shipped '\(catalog.language)' catalog lacks or has wrong placeholders in \(wrong.map(\.rawValue).joined(separator: ", "))"
    }
}
