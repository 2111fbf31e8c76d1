import Cedar

/// The text of the interaction pages in one language, keyed by ``MessageID`` (issue 21 item 4).
///
/// A message is plain text with `{name}` placeholders. ``callAsFunction(_:_:)`` escapes the text and
/// puts the arguments — ``HTML`` composed by the page, whose interpolated strings are escaped in turn —
/// in place of the placeholders, so a translation can never add markup to a page.
struct MessageCatalog: Sendable {
    /// The BCP 47 tag of the language (`en`, `de`), lower-case: the page's `lang` and `Content-Language`.
    let language: String
    /// Every message: a catalog is always complete (missing entries of a translation were filled
    /// from English when it was built; see ``MessageCatalogs``).
    let messages: [MessageID: String]
    /// The words of the Cedar explanations on the consent cards, when the deployment's catalog
    /// gives them (`cedar.<phrase id>` entries); `nil`: the built-in phrases of ``language``.
    var explanation: ExplanationPhrases? = nil

    /// The phrases the consent cards explain Cedar policies with: the catalog's own, else the
    /// built-in ones of its language (German), else English.
    var explanationPhrases: ExplanationPhrases { explanation ?? .builtIn(for: language) }

    /// The text of `id` (English when the catalog somehow lacks it).
    /// - Parameter id: the message.
    /// - Returns: the raw text, placeholders unfilled.
    subscript(_ id: MessageID) -> String { messages[id] ?? MessageCatalog.english.messages[id] ?? id.rawValue }

    /// A message as HTML with its placeholders filled.
    /// - Parameters:
    ///   - id: the message.
    ///   - arguments: the value of each placeholder; a placeholder without a value is left out.
    /// - Returns: the escaped text with the arguments inserted.
    func callAsFunction(_ id: MessageID, _ arguments: KeyValuePairs<String, HTML> = [:]) -> HTML {
        HTML.join(
            Self.segments(self[id]).map { segment -> HTML in
                switch segment {
                case .text(let text): "\(text)"
                case .placeholder(let name): arguments.first { $0.key == name }?.value ?? .empty
                }
            }
        )
    }

    /// A message as plain text (a `<title>`), its placeholders filled with plain text.
    /// - Parameters:
    ///   - id: the message.
    ///   - arguments: the value of each placeholder.
    /// - Returns: the unescaped text.
    func text(_ id: MessageID, _ arguments: KeyValuePairs<String, String> = [:]) -> String {
        Self.segments(self[id]).map { segment in
            switch segment {
            case .text(let text): text
            case .placeholder(let name): arguments.first { $0.key == name }?.value ?? ""
            }
        }.joined()
    }

    /// A part of a message: literal text or a `{name}` placeholder (`{{` is a literal brace).
    enum Segment: Sendable, Hashable {
        case text(String)
        case placeholder(String)
    }

    /// Splits a message into text and placeholders.
    /// - Parameter message: the text with `{name}` placeholders.
    /// - Returns: the segments in order.
    static func segments(_ message: String) -> [Segment] {
        var segments: [Segment] = []
        var text = ""
        var rest = Substring(message)
        while let open = rest.firstIndex(of: "{") {
            text += rest[..<open]
            let after = rest[rest.index(after: open)...]
            if after.first == "{" {
                text += "{"
                rest = after.dropFirst()
                continue
            }
            guard let close = after.firstIndex(of: "}"),
                case let name = after[..<close], !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "_") })
            else {
                text += "{"
                rest = after
                continue
            }
            if !text.isEmpty { segments.append(.text(text)) }
            text = ""
            segments.append(.placeholder(String(name)))
            rest = after[after.index(after: close)...]
        }
        text += rest
        if !text.isEmpty { segments.append(.text(text)) }
        return segments
    }

    /// The placeholders a message uses, for checking a translation against English.
    /// - Parameter message: the text.
    /// - Returns: the placeholder names.
    static func placeholders(_ message: String) -> Set<String> {
        Set(
            segments(message).compactMap { segment in
                if case .placeholder(let name) = segment { return name }
                return nil
            }
        )
    }
}
