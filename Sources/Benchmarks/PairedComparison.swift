import Foundation

/// Two sides of a benchmark timed turn about — one repetition of each per pair, the side that goes first
/// swapped every pair (AB BA AB …) — so that both repetitions of a pair share their time window and a noisy
/// neighbour moves the pair, not the ratio. Reports the median of the per-pair ratios a/b with its
/// interquartile range and a bootstrap 95% interval of that median.
public struct PairedComparison {
    /// Milliseconds of each pair's repetition of side a and of side b.
    public let a: [Double], b: [Double]

    public init(a: [Double], b: [Double]) {
        precondition(a.count == b.count && !a.isEmpty, "PairedComparison: \(a.count) and \(b.count) samples")
        (self.a, self.b) = (a, b)
    }

    /// Warms each side `warmups` times, then times `pairs` pairs. Each closure runs one repetition and returns
    /// its milliseconds. Each repetition starts after `pause` seconds of idling, so that the worker threads
    /// the other side left spinning (OpenBLAS's wait ~0.1 s, OpenMP's) have gone to sleep and do not share
    /// the cores with it.
    public static func measure(pairs: Int, warmups: Int, pause: Double = 0, a: () throws -> Double, b: () throws -> Double) rethrows -> PairedComparison {
        precondition(pairs > 0 && warmups >= 0 && pause >= 0, "PairedComparison.measure: \(pairs) pairs, \(warmups) warm-ups, pause \(pause) s")
        func rest<T>(_ body: () throws -> T) rethrows -> T {
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
            return try body()
        }
        for _ in 0..<warmups {
            _ = try rest(a)
            _ = try rest(b)
        }
        var x: [Double] = [], y: [Double] = []
        for i in 0..<pairs {
            if i.isMultiple(of: 2) {
                x.append(try rest(a))
                y.append(try rest(b))
            } else {
                y.append(try rest(b))
                x.append(try rest(a))
            }
        }
        return PairedComparison(a: x, b: y)
    }

    /// a/b of each pair.
    public var ratios: [Double] { zip(a, b).map { $0 / $1 } }

    /// Median of the per-pair ratios.
    public var medianRatio: Double { Self.quantile(ratios, 0.5) }

    /// First and third quartiles of the per-pair ratios.
    public var interquartileRange: (low: Double, high: Double) { (Self.quantile(ratios, 0.25), Self.quantile(ratios, 0.75)) }

    /// Bootstrap 95% interval of the median ratio: the 2.5th and 97.5th percentiles of the medians of
    /// `resamples` resamples of the pairs (seeded, so a run's figures can be reproduced from its samples).
    public func interval(resamples: Int = 2000, seed: UInt64 = 0x5EED) -> (low: Double, high: Double) {
        let r = ratios
        var state = seed
        func next() -> Int {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(r.count))
        }
        let medians = (0..<resamples).map { _ in Self.quantile((0..<r.count).map { _ in r[next()] }, 0.5) }
        return (Self.quantile(medians, 0.025), Self.quantile(medians, 0.975))
    }

    /// What the figures allow one to say, for a/b read as "a takes this many times b's time": which side is
    /// faster (when the interval excludes 1), and whether the interval is tighter than ±`resolution` around the
    /// median, the precision asked of a benchmark that is rerun.
    public func verdict(a nameA: String, b nameB: String, resolution: Double = 0.05) -> String {
        let (low, high) = interval()
        let side = high < 1 ? "\(nameA) faster" : low > 1 ? "\(nameB) faster" : "no difference can be told"
        let spread = (high - low) / 2 <= resolution
            ? "interval within ±\(resolution)"
            : String(format: "spread too wide to conclude: the 95%% interval is ±%.3f, wider than ±%.2f — rerun on a quieter machine or with more pairs", (high - low) / 2, resolution)
        return "\(side); \(spread)"
    }

    /// The `q` quantile of `values`, interpolated between order statistics (numpy's default, type 7).
    public static func quantile(_ values: [Double], _ q: Double) -> Double {
        precondition(!values.isEmpty && (0...1).contains(q), "PairedComparison.quantile: \(values.count) values, q \(q)")
        let s = values.sorted(), h = Double(s.count - 1) * q, lo = Int(h.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }
}
