public import Cedar
public import MCP

/// One declared parameter of a tool: its JSON Schema in the tool's `inputSchema`, and how its
/// value enters the Cedar request (`context.arguments.<name>`).
public struct ToolParameter: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case string(maxLength: Int)
        case integer(ClosedRange<Int>)
    }

    public var name: String
    public var description: String
    public var kind: Kind
    /// Used when the call leaves the parameter out; `nil` makes it required.
    public var defaultValue: ToolArgument?

    public init(name: String, description: String, kind: Kind, defaultValue: ToolArgument? = nil) {
        self.name = name
        self.description = description
        self.kind = kind
        self.defaultValue = defaultValue
    }

    /// The parameter's JSON Schema (MCP `Tool.inputSchema` properties).
    var jsonSchema: Value {
        var schema: [String: Value] = ["description": .string(description)]
        switch kind {
        case .string(let maxLength):
            schema["type"] = "string"
            schema["minLength"] = 1
            schema["maxLength"] = .int(maxLength)
        case .integer(let range):
            schema["type"] = "integer"
            schema["minimum"] = .int(range.lowerBound)
            schema["maximum"] = .int(range.upperBound)
        }
        if let defaultValue { schema["default"] = defaultValue.value }
        return .object(schema)
    }

    /// The checked value of `given` (or the default), or why it is not acceptable.
    func argument(from given: Value?) -> Result<ToolArgument, ToolCallError> {
        guard let given, !given.isNull else {
            guard let defaultValue else { return .failure(.invalidArguments("missing required argument '\(name)'")) }
            return .success(defaultValue)
        }
        switch kind {
        case .string(let maxLength):
            guard let text = given.stringValue, !text.isEmpty, text.count <= maxLength else {
                return .failure(.invalidArguments("argument '\(name)' must be a string of 1 to \(maxLength) characters"))
            }
            return .success(.string(text))
        case .integer(let range):
            // JSON has one number type: 3.0 is the integer 3, 3.5 is not an integer.
            let number: Int? = given.intValue ?? given.doubleValue.flatMap { $0.rounded() == $0 && abs($0) < 1e15 ? Int($0) : nil }
            guard let number, range.contains(number) else {
                return .failure(.invalidArguments("argument '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound)"))
            }
            return .success(.integer(number))
        }
    }
}

/// A checked tool argument: what the tool runs with and what Cedar policies see.
public enum ToolArgument: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case integer(Int)

    /// The MCP (JSON) value.
    public var value: Value {
        switch self {
        case .string(let text): .string(text)
        case .integer(let number): .int(number)
        }
    }

    /// The Cedar value: a `String` or a `Long`.
    public var cedar: CedarValue {
        switch self {
        case .string(let text): .string(CedarString(text))
        case .integer(let number): .long(Int64(number))
        }
    }

    public var description: String { cedar.description }

    public var stringValue: String? { if case .string(let text) = self { text } else { nil } }
    public var integerValue: Int? { if case .integer(let number) = self { number } else { nil } }
}

/// Why a tool call was not carried out, as the MCP client sees it.
public enum ToolCallError: Error, Sendable, Hashable {
    /// No such tool: a JSON-RPC protocol error (-32602, MCP "Tools", error handling).
    case unknownTool(String)
    /// Arguments that do not fit the tool's `inputSchema`: a tool execution error the model can correct.
    case invalidArguments(String)
}
