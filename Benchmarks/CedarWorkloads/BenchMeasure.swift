import Foundation

/// The measures `tessera cedar bench`, `tessera cedar bench-grant` and `cedar-bench` take and print.
public enum BenchMeasure {
    /// A duration in seconds.
    public static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// CPU time of the calling thread in seconds (not inflated by other processes on a busy machine).
    public static func threadCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// A figure with two decimals.
    public static func format(_ x: Double) -> String { String(format: "%.2f", x) }
}
