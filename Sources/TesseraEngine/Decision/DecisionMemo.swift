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
    /// - Returns: `false` for a chained grant's question and for one with many or long rights or audiences.
    static func keeps(_ question: AccessQuestion) -> Bool {
        guard question.chaining == nil, question.rights.count + question.audiences.count <= largestQuestion else { return false }
        var text = question.user?.utf8.count ?? 0
        for value in question.rights { text += value.utf8.count }
        for value in question.audiences { text += value.utf8.count }
        return text <= largestText
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
