import Synchronization

/// The answers one ``DecisionPoint`` gave, by question (issue 22): a token request asks the same question for the same
/// client every time (its scope against the policies), and evaluating it cost a Cedar evaluation per right per request.
///
/// Equivalent to asking again, because an answer is a function of the question and of the compiled policy set alone:
/// `DecisionPoint.decide(_:)` builds its entities and context from the question only (no clock, no store, nothing
/// random), and the policy set never changes for one memo — each ``DecisionPoint`` makes its own when it is built,
/// so policies loaded anew (or a layer added with ``DecisionPoint/adding(_:)``) start from an empty memo. Questions that
/// carry a chained grant's facts, or many or long rights or audiences, are not kept (their answers are not reused, and a
/// caller cannot grow the memo with large keys); the memo holds at most ``capacity`` answers and starts over when full.
final class DecisionMemo: Sendable {
    /// The most answers kept.
    static let capacity = 4096
    /// The most rights and audiences, together, of a question whose answer is kept.
    static let largestQuestion = 16
    /// The most UTF-8 bytes of its rights, audiences and person, together, of a question whose answer is kept: with
    /// ``capacity``, the memo holds a few megabytes at most, whatever a client asks for.
    static let largestText = 1024

    private let answers = Mutex<[AccessQuestion: AccessDecision]>([:])

    /// Whether `question`'s answer may be kept.
    /// - Parameter question: The question.
    /// - Returns: `false` for a chained grant's question, for one with many or long rights or audiences, and for one
    ///   with a string that is not ASCII (``isASCII(_:)``).
    static func keeps(_ question: AccessQuestion) -> Bool {
        guard question.chaining == nil, question.rights.count + question.audiences.count <= largestQuestion else { return false }
        var text = question.user?.utf8.count ?? 0
        for value in question.rights { text += value.utf8.count }
        for value in question.audiences { text += value.utf8.count }
        return text <= largestText && isASCII(question)
    }

    /// Whether every string of `question` is ASCII. The memo is a Swift dictionary, and Swift compares strings by
    /// canonical equivalence (`"\u{212A}YC" == "KYC"`), while Cedar compares their bytes: a key that is not ASCII
    /// could return the answer evaluated for a different right, person or client (say, a `forbid` on `Scope::"KYC"`
    /// answered with the permit evaluated for `Scope::"\u{212A}YC"`). For ASCII both comparisons agree; anything
    /// else is evaluated every time.
    /// - Parameter question: The question.
    /// - Returns: `true` when its party, rights, audiences, person and context strings are all ASCII.
    static func isASCII(_ question: AccessQuestion) -> Bool {
        func ascii(_ value: String) -> Bool { value.utf8.allSatisfy { $0 < 0x80 } }
        let party = question.party
        return ascii(party.id) && party.scopes.allSatisfy(ascii) && party.introspectionAudiences.allSatisfy(ascii)
            && question.rights.allSatisfy(ascii) && question.audiences.allSatisfy(ascii) && (question.user.map(ascii) ?? true)
            && ascii(question.grantType) && ascii(question.requestedTokenType) && ascii(question.peer)
    }

    /// The answer given to `question` before, if kept.
    /// - Parameter question: The question.
    /// - Returns: The answer, or `nil`.
    func answer(_ question: AccessQuestion) -> AccessDecision? {
        answers.withLock { $0[question] }
    }

    /// Keeps `decision` as the answer to `question`.
    /// - Parameters:
    ///   - decision: The decision point's answer.
    ///   - question: The question it answers.
    func keep(_ decision: AccessDecision, for question: AccessQuestion) {
        answers.withLock { answers in
            if answers.count >= Self.capacity { answers.removeAll(keepingCapacity: true) }
            answers[question] = decision
        }
    }

    /// How many answers are kept (tests).
    var count: Int { answers.withLock { $0.count } }
}
