extension Evaluator {
    /// Calls an extension function on evaluated arguments (receiver first), digest §9.
    static func callExtension(_ fn: ExtensionFunction, _ args: [CedarValue]) -> Result<CedarValue, EvaluationError> {
        guard fn.accepts(args.count) else {
            return .failure(
                EvaluationError(
                    .wrongArity,
                    "wrong number of arguments provided to extension function `\(fn.rawValue)`: expected \(fn.arityDescription), got \(args.count)"
                )
            )
        }
        do throws(EvaluationError) {
            return .success(try call(fn, args))
        } catch {
            return .failure(error)
        }
    }

    private static func string(_ v: CedarValue) throws(EvaluationError) -> String {
        guard case .string(let s) = v else { throw .typeError(expected: "string", got: v) }
        return s.value
    }

    private static func decimal(_ v: CedarValue) throws(EvaluationError) -> Int64 {
        guard case .extensionValue(.decimal(let d)) = v else { throw .typeError(expected: "decimal", got: v) }
        return d
    }

    private static func ip(_ v: CedarValue) throws(EvaluationError) -> IPAddress {
        guard case .extensionValue(.ipaddr(let a)) = v else { throw .typeError(expected: "ipaddr", got: v) }
        return a
    }

    private static func datetime(_ v: CedarValue) throws(EvaluationError) -> Int64 {
        guard case .extensionValue(.datetime(let d)) = v else { throw .typeError(expected: "datetime", got: v) }
        return d
    }

    private static func duration(_ v: CedarValue) throws(EvaluationError) -> Int64 {
        guard case .extensionValue(.duration(let d)) = v else { throw .typeError(expected: "duration", got: v) }
        return d
    }

    private static func call(_ fn: ExtensionFunction, _ args: [CedarValue]) throws(EvaluationError) -> CedarValue {
        switch fn {
        case .decimal: return .extensionValue(.decimal(try DecimalExtension.parse(try string(args[0])).get()))
        case .lessThan: return .bool(try decimal(args[0]) < decimal(args[1]))
        case .lessThanOrEqual: return .bool(try decimal(args[0]) <= decimal(args[1]))
        case .greaterThan: return .bool(try decimal(args[0]) > decimal(args[1]))
        case .greaterThanOrEqual: return .bool(try decimal(args[0]) >= decimal(args[1]))
        case .ip:
            let s = try string(args[0])
            guard let a = IPAddress(parsing: s) else {
                throw .extensionError("ip", "`\(s)` is not a valid IP address")
            }
            return .extensionValue(.ipaddr(a))
        case .isIpv4: return .bool(try ip(args[0]).isIPv4)
        case .isIpv6: return .bool(try !ip(args[0]).isIPv4)
        case .isLoopback: return .bool(try ip(args[0]).isLoopback)
        case .isMulticast: return .bool(try ip(args[0]).isMulticast)
        case .isInRange:
            // Every range is checked to be an ipaddr, also after one matched (no short circuit, RFC 99).
            let address = try ip(args[0])
            var inAny = false
            for range in args.dropFirst() {
                let network = try ip(range)
                if address.isInRange(network) { inAny = true }
            }
            return .bool(inAny)
        case .datetime: return .extensionValue(.datetime(try DatetimeExtension.parseDatetime(try string(args[0])).get()))
        case .duration: return .extensionValue(.duration(try DatetimeExtension.parseDuration(try string(args[0])).get()))
        case .offset:
            let (d, o) = try datetime(args[0]).addingReportingOverflow(try duration(args[1]))
            if o { throw .extensionError("offset", "overflow when adding a duration to a datetime") }
            return .extensionValue(.datetime(d))
        case .durationSince:
            let (d, o) = try datetime(args[0]).subtractingReportingOverflow(try datetime(args[1]))
            if o { throw .extensionError("durationSince", "overflow when computing the duration") }
            return .extensionValue(.duration(d))
        case .toDate:
            let ms = try datetime(args[0])
            let (d, o) = DatetimeExtension.floorDiv(ms, DatetimeExtension.msPerDay)
                .multipliedReportingOverflow(by: DatetimeExtension.msPerDay)
            if o { throw .extensionError("toDate", "overflow when computing the date") }
            return .extensionValue(.datetime(d))
        case .toTime:
            let ms = try datetime(args[0])
            let day = DatetimeExtension.msPerDay
            return .extensionValue(.duration(((ms % day) + day) % day))
        case .toMilliseconds: return .long(try duration(args[0]))
        case .toSeconds: return .long(try duration(args[0]) / 1000)
        case .toMinutes: return .long(try duration(args[0]) / 60_000)
        case .toHours: return .long(try duration(args[0]) / 3_600_000)
        case .toDays: return .long(try duration(args[0]) / 86_400_000)
        }
    }
}
