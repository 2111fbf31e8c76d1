/// The `decimal` extension: fixed-point numbers with four fractional digits (digest §9.1).
enum DecimalExtension {
    /// Parses `-?[0-9]+\.[0-9]{1,4}` into value × 10⁴.
    static func parse(_ text: String) -> Result<Int64, EvaluationError> {
        let bytes = Array(text.utf8)
        let fail = EvaluationError.extensionError("decimal", "`\(text)` is not a well-formed decimal value")
        var i = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { i = 1 }
        let intStart = i
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        guard i > intStart, i < bytes.count, bytes[i] == UInt8(ascii: ".") else { return .failure(fail) }
        let intEnd = i
        i += 1
        let fracStart = i
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        guard i == bytes.count, i > fracStart else { return .failure(fail) }
        let fracCount = i - fracStart
        guard fracCount <= 4 else {
            return .failure(.extensionError("decimal", "too many digits after the decimal in `\(text)`"))
        }
        let overflow = EvaluationError.extensionError("decimal", "overflow when converting `\(text)` to decimal")
        let sign: Int64 = negative ? -1 : 1
        var value: Int64 = 0
        var digits = Array(bytes[intStart..<intEnd]) + Array(bytes[fracStart..<i])
        digits += Array(repeating: UInt8(ascii: "0"), count: 4 - fracCount)
        for d in digits {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(sign * Int64(d - UInt8(ascii: "0")))
            if o1 || o2 { return .failure(overflow) }
            value = s
        }
        return .success(value)
    }

    static func format(_ value: Int64) -> String {
        let intPart = value / 10_000
        let frac = (value % 10_000).magnitude
        let fracText = String(frac)
        let padded = String(repeating: "0", count: 4 - fracText.count) + fracText
        let sign = value < 0 && intPart == 0 ? "-" : ""
        return "\(sign)\(intPart).\(padded)"
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
}
