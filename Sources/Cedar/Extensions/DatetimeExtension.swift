/// The `datetime` and `duration` extension (digest §9.3): both are Int64 milliseconds.
enum DatetimeExtension {
    static let msPerDay: Int64 = 86_400_000

    /// Parses the five accepted `datetime` shapes.
    static func parseDatetime(_ text: String) -> Result<Int64, EvaluationError> {
        let b = Array(text.utf8)
        let fail = EvaluationError.extensionError("datetime", "`\(text)` is not a valid datetime")
        func num(_ start: Int, _ len: Int) -> Int64? {
            guard start + len <= b.count else { return nil }
            var v: Int64 = 0
            for i in start..<(start + len) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        func at(_ i: Int, _ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue }
        guard let year = num(0, 4), at(4, "-"), let month = num(5, 2), at(7, "-"), let day = num(8, 2) else {
            return .failure(fail)
        }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month) else { return .failure(fail) }
        var ms = daysFromCivil(year, month, day) * msPerDay
        if b.count == 10 { return .success(ms) }
        guard at(10, "T"), let h = num(11, 2), at(13, ":"), let mi = num(14, 2), at(16, ":"), let s = num(17, 2) else {
            return .failure(fail)
        }
        guard h < 24, mi < 60, s < 60 else { return .failure(fail) }
        ms += ((h * 60 + mi) * 60 + s) * 1000
        var i = 19
        if at(i, ".") {
            guard let frac = num(i + 1, 3) else { return .failure(fail) }
            ms += frac
            i += 4
        }
        if at(i, "Z"), b.count == i + 1 { return .success(ms) }
        guard at(i, "+") || at(i, "-"), b.count == i + 5, let oh = num(i + 1, 2), let om = num(i + 3, 2) else {
            return .failure(fail)
        }
        guard oh < 24, om < 60 else { return .failure(fail) }
        let offset = (oh * 60 + om) * 60_000
        ms += at(i, "+") ? -offset : offset
        return .success(ms)
    }

    /// Parses `-?(Nd)?(Nh)?(Nm)?(Ns)?(Nms)?` (not empty).
    static func parseDuration(_ text: String) -> Result<Int64, EvaluationError> {
        let b = Array(text.utf8)
        let fail = EvaluationError.extensionError("duration", "`\(text)` is not a valid duration")
        var i = 0
        let negative = b.first == UInt8(ascii: "-")
        if negative { i = 1 }
        let units: [(String, Int64)] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]
        var nextUnit = 0
        var total: Int64 = 0
        var any = false
        while i < b.count {
            let start = i
            var value: Int64 = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(b[i] - 48))
                if o1 || o2 { return .failure(.extensionError("duration", "overflow while parsing `\(text)`")) }
                value = s
                i += 1
            }
            guard i > start, i < b.count else { return .failure(fail) }
            var unit = ""
            if b[i] == UInt8(ascii: "m"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "s") {
                unit = "ms"
                i += 2
            } else {
                unit = String(UnicodeScalar(b[i]))
                i += 1
            }
            guard let idx = units[nextUnit...].firstIndex(where: { $0.0 == unit }) else { return .failure(fail) }
            nextUnit = idx + 1
            let (part, o1) = value.multipliedReportingOverflow(by: units[idx].1)
            let (sum, o2) = total.addingReportingOverflow(part)
            if o1 || o2 { return .failure(.extensionError("duration", "overflow while parsing `\(text)`")) }
            total = sum
            any = true
        }
        guard any else { return .failure(fail) }
        return .success(negative ? -total : total)
    }

    static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// `YYYY-MM-DDThh:mm:ss.SSSZ` when the year is 0…9999, else an `offset(...)` form's datetime part.
    static func format(_ ms: Int64) -> String {
        let days = floorDiv(ms, msPerDay)
        let rem = ms - days * msPerDay
        let (y, m, d) = civilFromDays(days)
        guard (0...9999).contains(y) else { return "1970-01-01" }
        func pad(_ v: Int64, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        let time = "T\(pad(rem / 3_600_000, 2)):\(pad(rem / 60_000 % 60, 2)):\(pad(rem / 1000 % 60, 2)).\(pad(rem % 1000, 3))Z"
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))\(time)"
    }

    /// Whether ``format(_:)`` represents `ms` exactly.
    static func isFormattable(_ ms: Int64) -> Bool {
        let (y, _, _) = civilFromDays(floorDiv(ms, msPerDay))
        return (0...9999).contains(y)
    }
}
