import MCP
import TesseraProtocol

/// The example's tools: two read-only ones and a destructive one, over an in-memory cache of
/// made-up forecasts (the example is about authorization, not meteorology).
public enum WeatherTools {
    /// The tools, sharing one cache.
    public static func all(cache: ForecastCache = ForecastCache()) -> [WeatherTool] {
        [
            WeatherTool(
                name: "get_forecast",
                title: "Weather forecast",
                description: "The forecast for a city, day by day.",
                parameters: [
                    ToolParameter(name: "city", description: "City name, e.g. Berlin", kind: .string(maxLength: 100)),
                    ToolParameter(name: "days", description: "How many days (1 to 14)", kind: .integer(1...14), defaultValue: .integer(3)),
                ],
                readOnly: true,
                destructive: false
            ) { arguments in
                let city = arguments["city"]?.stringValue ?? ""
                let days = await cache.forecast(city: city, days: arguments["days"]?.integerValue ?? 3)
                let lines = days.enumerated().map { "day \($0.offset + 1): \($0.element.summary), \($0.element.high) °C" }
                return CallTool.Result(
                    content: [.text(text: "Forecast for \(city):\n" + lines.joined(separator: "\n"), annotations: nil, _meta: nil)],
                    structuredContent: Value.object([
                        "city": .string(city),
                        "days": .array(days.map { .object(["summary": .string($0.summary), "high": .int($0.high)]) }),
                    ]) as Value?
                )
            },
            WeatherTool(
                name: "get_alerts",
                title: "Weather alerts",
                description: "Active weather alerts for a region.",
                parameters: [ToolParameter(name: "region", description: "Region name, e.g. Brandenburg", kind: .string(maxLength: 100))],
                readOnly: true,
                destructive: false
            ) { arguments in
                let region = arguments["region"]?.stringValue ?? ""
                let alerts = ForecastCache.alerts(region: region)
                let text = alerts.isEmpty ? "No active alerts for \(region)." : "Alerts for \(region): " + alerts.joined(separator: "; ")
                return CallTool.Result(
                    content: [.text(text: text, annotations: nil, _meta: nil)],
                    structuredContent: Value.object(["region": .string(region), "alerts": .array(alerts.map { .string($0) })]) as Value?
                )
            },
            WeatherTool(
                name: "delete_forecast_cache",
                title: "Delete the forecast cache",
                description: "Forgets every cached forecast.",
                parameters: [],
                readOnly: false,
                destructive: true,
                requiredScopes: Scope(["weather:admin"])
            ) { _ in
                let removed = await cache.removeAll()
                return CallTool.Result(
                    content: [.text(text: "Deleted \(removed) cached forecasts.", annotations: nil, _meta: nil)],
                    structuredContent: Value.object(["deleted": .int(removed)]) as Value?
                )
            },
        ]
    }
}

/// Made-up forecasts, cached per city so `delete_forecast_cache` has something to delete.
public actor ForecastCache {
    public struct Day: Sendable, Hashable {
        public var summary: String
        public var high: Int
    }

    private var entries: [String: [Day]] = [:]

    public init() {}

    /// The same city always gets the same weather (derived from its name).
    public func forecast(city: String, days: Int) -> [Day] {
        let key = city.lowercased()
        if let cached = entries[key], cached.count >= days { return Array(cached.prefix(days)) }
        let summaries = ["sunny", "partly cloudy", "cloudy", "light rain", "showers", "windy"]
        let seed = key.unicodeScalars.reduce(7) { ($0 &* 31 &+ Int($1.value)) & 0xFFFF }
        let fresh = (0..<days).map { day in Day(summary: summaries[(seed + day * 5) % summaries.count], high: 8 + (seed + day * 3) % 17) }
        entries[key] = fresh
        return fresh
    }

    /// Forgets everything; how many cities were cached.
    public func removeAll() -> Int {
        defer { entries.removeAll() }
        return entries.count
    }

    public var count: Int { entries.count }

    static func alerts(region: String) -> [String] {
        region.lowercased().hasPrefix("b") ? ["strong wind until 18:00"] : []
    }
}
