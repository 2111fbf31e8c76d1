import Foundation

/// The `Accept-Language` request header (RFC 9110 §12.5.4): language ranges with optional quality
/// values, matched against the languages a server has with the "lookup" scheme of RFC 4647 §3.4.
struct AcceptLanguage: Sendable, Hashable {
    /// A language range and its weight (RFC 9110 §12.4.2: `q` from 0 to 1, 1 when absent).
    struct Range: Sendable, Hashable {
        var tag: String
        var quality: Double
    }

    /// The ranges with a weight above zero, most preferred first; ties keep the header's order.
    let ranges: [Range]

    /// Parses a header value leniently: a member that is not a language range, or whose `q` is not a
    /// number from 0 to 1, is ignored (a malformed preference must not cost the person the page).
    /// - Parameter header: the field value, or `nil` when the request has none.
    init(_ header: String?) {
        var parsed: [(offset: Int, range: Range)] = []
        for (offset, member) in (header ?? "").split(separator: ",").enumerated() {
            let parts = member.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased(), Self.isRange(tag) else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2, pair[0].lowercased() == "q" else { continue }
                guard let value = Double(pair[1]), (0...1).contains(value) else {
                    quality = -1
                    break
                }
                quality = value
            }
            guard quality > 0 else { continue }  // q=0: "not acceptable" (RFC 9110 §12.4.2)
            parsed.append((offset, Range(tag: tag, quality: quality)))
        }
        ranges = parsed.sorted { ($0.range.quality, -$0.offset) > ($1.range.quality, -$1.offset) }.map(\.range)
    }

    /// The first of `available` (lower-case tags) that a range asks for: for each range in order, the
    /// range itself, then the range with its last subtag removed, and so on (`de-ch` → `de`; RFC 4647
    /// §3.4). `*` matches nothing here: it leaves the choice to the server's default.
    /// - Parameter available: the tags a catalog exists for.
    /// - Returns: the chosen tag, or `nil` when no range matches (the caller's default applies).
    func lookup(_ available: Set<String>) -> String? {
        for range in ranges where range.tag != "*" {
            var candidate = Substring(range.tag)
            while !candidate.isEmpty {
                if available.contains(String(candidate)) { return String(candidate) }
                guard let dash = candidate.lastIndex(of: "-") else { break }
                candidate = candidate[..<dash]
                // A single-letter subtag left at the end (`x` of `de-x-…`) is not a tag of its own.
                if let last = candidate.split(separator: "-").last, last.count == 1 { candidate = candidate.dropLast(2) }
            }
        }
        return nil
    }

    /// `*` or 1–8 letters followed by `-`-separated runs of 1–8 letters or digits (RFC 4647 §2.1).
    static func isRange(_ text: String) -> Bool {
        if text == "*" { return true }
        let subtags = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = subtags.first, (1...8).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return false
        }
        return subtags.dropFirst().allSatisfy { subtag in
            (1...8).contains(subtag.count) && subtag.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }
}
