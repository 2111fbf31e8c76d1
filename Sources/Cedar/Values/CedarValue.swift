/// A Cedar value: the result of evaluating an expression, an attribute or a context field.
///
/// Equality is Cedar's structural equality (language digest §5): values of different kinds are
/// unequal, sets and records ignore order, strings compare by Unicode scalars and extension
/// values compare by their semantic value.
///
/// Only ``extensionValue(_:)`` is boxed (an `ipaddr` is 33 bytes): every other case is stored
/// inline, so producing a `bool`, `long`, string or entity value allocates nothing — the
/// evaluator produces one per operator. Sets and records already hold their elements out of line.
public enum CedarValue: Hashable, Sendable {
    /// `true` or `false`.
    case bool(Bool)
    /// A signed 64-bit integer.
    case long(Int64)
    /// A string.
    case string(CedarString)
    /// An entity reference.
    case entity(EntityUID)
    /// A set of values (duplicates collapse).
    case set(Set<CedarValue>)
    /// A record: string keys to values.
    case record([CedarString: CedarValue])
    /// A value of an extension type (`decimal`, `ipaddr`, `datetime`, `duration`).
    indirect case extensionValue(ExtensionValue)

    /// A string value.
    public static func string(_ value: String) -> Self { .string(CedarString(value)) }

    /// The name of the value's kind, as used in type-error messages.
    public var kindName: String {
        switch self {
        case .bool: "bool"
        case .long: "long"
        case .string: "string"
        case .entity: "entity"
        case .set: "set"
        case .record: "record"
        case .extensionValue(let e): e.typeName
        }
    }
}

/// A value of one of Cedar's extension types (language digest §9).
public enum ExtensionValue: Hashable, Sendable, CustomStringConvertible {
    /// A decimal: the value × 10⁴.
    case decimal(Int64)
    /// An IP address with its prefix length.
    case ipaddr(IPAddress)
    /// A datetime: milliseconds since the Unix epoch.
    case datetime(Int64)
    /// A duration in milliseconds.
    case duration(Int64)

    /// The extension type's name (`decimal`, `ipaddr`, `datetime`, `duration`).
    public var typeName: String {
        switch self {
        case .decimal: "decimal"
        case .ipaddr: "ipaddr"
        case .datetime: "datetime"
        case .duration: "duration"
        }
    }

    /// The constructor call that makes this value, in Cedar syntax.
    public var description: String {
        switch self {
        case .decimal(let v): "decimal(\"\(DecimalExtension.format(v))\")"
        case .ipaddr(let ip): "ip(\"\(ip)\")"
        case .datetime(let ms): "datetime(\"\(DatetimeExtension.format(ms))\")"
        case .duration(let ms): "duration(\"\(ms)ms\")"
        }
    }

    /// The constructor name and argument, as used in `__extn` JSON.
    var constructorAndArgument: (String, String) {
        switch self {
        case .decimal(let v): ("decimal", DecimalExtension.format(v))
        case .ipaddr(let ip): ("ip", ip.description)
        case .datetime(let ms): ("datetime", DatetimeExtension.format(ms))
        case .duration(let ms): ("duration", "\(ms)ms")
        }
    }
}

extension CedarValue: CustomStringConvertible {
    /// The value in Cedar syntax.
    public var description: String {
        switch self {
        case .bool(let b): b ? "true" : "false"
        case .long(let v): String(v)
        case .string(let s): PolicyFormatter.quote(s.value)
        case .entity(let uid): uid.description
        case .set(let s): "[" + s.map(\.description).sorted().joined(separator: ", ") + "]"
        case .record(let r):
            "{" + r.sorted { $0.key < $1.key }.map { "\(PolicyFormatter.quote($0.key.value)): \($0.value)" }.joined(separator: ", ") + "}"
        case .extensionValue(let e): e.description
        }
    }
}
