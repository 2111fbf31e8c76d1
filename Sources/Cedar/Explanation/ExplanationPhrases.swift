/// The words of a ``PolicyExplanation`` in one language: a catalog of phrase templates with
/// `{name}` placeholders, which ``PolicyExplainer`` fills with the schema's display names and the
/// policy's constants (issue 21 item 4: page text from a message catalog a deployment can translate).
///
/// English (``english``) is the default and German (``german``) ships as a second language;
/// ``builtIn(for:)`` picks one by a BCP 47 tag, and ``init(language:templates:)`` builds a
/// deployment's own from English plus its translations. A translation changes words only: which
/// clauses are put into words and which are shown as code, and every constant, stay the same in
/// every language, so no language claims less than the policy permits.
///
/// Display names in another language come from the schema: `@label_de("…")` (the language's primary
/// subtag after `label_`) is used before `@label` (docs/cedar.md, "Languages").
public struct ExplanationPhrases: Sendable, Hashable {
    /// A phrase's identifier, and the placeholders its template must keep.
    public enum ID: String, CaseIterable, Sendable {
        case sentencePermit = "sentence.permit"
        case sentenceForbid = "sentence.forbid"
        case sentenceForbidAnyone = "sentence.forbidAnyone"
        case principalAny = "principal.any"
        case principalIn = "principal.in"
        case principalIs = "principal.is"
        case principalIsIn = "principal.isIn"
        case resourceAny = "resource.any"
        case resourceIn = "resource.in"
        case resourceIs = "resource.is"
        case resourceIsIn = "resource.isIn"
        case entity = "entity"
        case slotPrincipal = "slot.principal"
        case slotResource = "slot.resource"
        case actionsAny = "actions.any"
        case actionsOr = "actions.or"
        case actionsGroup = "actions.group"
        case clauseGiven = "clause.given"
        case clauseLike = "clause.like"
        case clauseFalse = "clause.false"
        case clauseTrue = "clause.true"
        case clauseIs = "clause.is"
        case clauseIsNot = "clause.isNot"
        case clauseAddress = "clause.address"
        case clauseNotAddress = "clause.notAddress"
        case quantityEq = "quantity.eq"
        case quantityNotEq = "quantity.notEq"
        case quantityLess = "quantity.less"
        case quantityLessEq = "quantity.lessEq"
        case quantityGreater = "quantity.greater"
        case quantityGreaterEq = "quantity.greaterEq"
        case clockEq = "clock.eq"
        case clockNotEq = "clock.notEq"
        case clockLess = "clock.less"
        case clockLessEq = "clock.lessEq"
        case clockGreater = "clock.greater"
        case clockGreaterEq = "clock.greaterEq"
        case timeEq = "time.eq"
        case timeNotEq = "time.notEq"
        case timeLess = "time.less"
        case timeLessEq = "time.lessEq"
        case timeGreater = "time.greater"
        case timeGreaterEq = "time.greaterEq"
        case date = "date"
        case month1 = "month.1"
        case month2 = "month.2"
        case month3 = "month.3"
        case month4 = "month.4"
        case month5 = "month.5"
        case month6 = "month.6"
        case month7 = "month.7"
        case month8 = "month.8"
        case month9 = "month.9"
        case month10 = "month.10"
        case month11 = "month.11"
        case month12 = "month.12"
        case subjectAttribute = "subject.attribute"
        case subjectOf = "subject.of"
        case subjectResource = "subject.resource"
        case subjectPrincipal = "subject.principal"
        case textOnlyIf = "text.onlyIf"
        case textWhen = "text.when"
        case textExcept = "text.except"
        case textAnd = "text.and"
        case textCode = "text.code"
    }

    /// A template a deployment gave that cannot be used.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong, naming the phrase.
        public let message: String
        public var description: String { message }
    }

    /// The BCP 47 tag of the language, lower-case (`en`, `de`).
    public let language: String
    let templates: [ID: String]

    /// The phrases for `tag`'s primary language when built in (`de`, `de-AT` → ``german``),
    /// ``english`` otherwise.
    /// - Parameter tag: a BCP 47 language tag.
    /// - Returns: the built-in phrases.
    public static func builtIn(for tag: String) -> ExplanationPhrases {
        let primary = tag.lowercased().split(separator: "-").first.map(String.init) ?? ""
        return primary == "de" ? german : english
    }

    /// A deployment's phrases: `templates` by ``ID`` raw value (`"sentence.permit"`); a phrase not
    /// given is `base`'s (English unless said otherwise: a deployment's French catalog falls back
    /// to English phrase by phrase, its German overrides to the shipped German).
    /// - Parameters:
    ///   - language: the BCP 47 tag (its primary subtag picks the schema's `@label_<language>`).
    ///   - templates: the translated templates.
    ///   - base: the phrases for every template not given.
    /// - Throws: ``Problem`` for an unknown id, or a template whose placeholders differ from English.
    public init(language: String, templates: [String: String], over base: ExplanationPhrases = .english) throws(Problem) {
        var all = base.templates
        for (key, template) in templates {
            guard let id = ID(rawValue: key) else { throw Problem(message: "unknown explanation phrase `\(key)`") }
            let expected = Set(Self.placeholders(Self.english.templates[id] ?? ""))
            guard Set(Self.placeholders(template)) == expected else {
                throw Problem(
                    message: "explanation phrase `\(key)` must use exactly the placeholders \(expected.sorted().map { "{\($0)}" })"
                )
            }
            all[id] = template
        }
        self.init(tag: language, all)
    }

    init(tag: String, _ templates: [ID: String]) {
        language = tag.lowercased()
        self.templates = templates
    }

    /// The template of `id` with its placeholders filled.
    /// - Parameters:
    ///   - id: the phrase.
    ///   - arguments: the value of each placeholder.
    /// - Returns: the text.
    func callAsFunction(_ id: ID, _ arguments: KeyValuePairs<String, String> = [:]) -> String {
        var out = ""
        var rest = Substring(templates[id] ?? Self.english.templates[id] ?? id.rawValue)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            out += arguments.first { $0.key == name }?.value ?? "{\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// The names of a template's `{name}` placeholders, in order.
    static func placeholders(_ template: String) -> [String] {
        var names: [String] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// The primary subtag of ``language`` (`de` for `de-AT`).
    var primaryLanguage: String { language.split(separator: "-").first.map(String.init) ?? language }

    /// The name of month `m` (1…12).
    func month(_ m: Int) -> String {
        let ids: [ID] = [.month1, .month2, .month3, .month4, .month5, .month6, .month7, .month8, .month9, .month10, .month11, .month12]
        return self(ids[max(0, min(11, m - 1))])
    }
}
