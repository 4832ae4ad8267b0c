import Foundation

/// Wall-clock timing for the benchmark commands: median of `runs` after `warmups`.
public enum Timing {
    /// Milliseconds of each timed run of `body`.
    public static func samples(warmups: Int = 5, runs: Int = 20, _ body: () -> Void) -> [Double] {
        for _ in 0..<warmups { body() }
        return (0..<runs).map { _ in milliseconds(body) }
    }

    /// Milliseconds of one run of `body`.
    public static func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    /// Median of `samples`.
    public static func median(_ samples: [Double]) -> Double {
        let s = samples.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Median milliseconds of `body` (median of `runs` after `warmups`).
    public static func medianMilliseconds(warmups: Int = 5, runs: Int = 20, _ body: () -> Void) -> Double {
        median(samples(warmups: warmups, runs: runs, body))
    }
}
