/// How constants read in an explanation: IBANs in groups of four, datetimes as dates in UTC.
extension ExplanationContext {
    static func isIBAN(_ s: String, _ annotations: [String: String], _ path: Path) -> Bool {
        guard annotations["format"]?.lowercased() == "iban" || path.names.last?.lowercased() == "iban" else { return false }
        return (15...34).contains(s.count) && s.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }

    /// `DE02100100109307118603` → `DE02 1001 0010 9307 1186 03`.
    static func grouped(_ s: String) -> String {
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && i % 4 == 0 { out += " " }
            out.append(c)
        }
        return out
    }

    /// "6 December 2026, 18:00 UTC" (seconds and milliseconds when not zero); `nil` outside years 0…9999.
    static func date(_ ms: Int64, _ phrases: ExplanationPhrases = .english) -> String? {
        guard DatetimeExtension.isFormattable(ms) else { return nil }
        let days = DatetimeExtension.floorDiv(ms, DatetimeExtension.msPerDay)
        let rem = ms - days * DatetimeExtension.msPerDay
        let (y, m, d) = DatetimeExtension.civilFromDays(days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var time = "\(two(rem / 3_600_000)):\(two(rem / 60_000 % 60))"
        if rem % 60_000 != 0 { time += ":\(two(rem / 1000 % 60))" }
        if rem % 1000 != 0 {
            let millis = rem % 1000
            time += "." + (millis < 10 ? "00" : millis < 100 ? "0" : "") + "\(millis)"
        }
        return phrases(.date, ["day": "\(d)", "month": phrases.month(Int(m)), "year": "\(y)", "time": time])
    }
}
