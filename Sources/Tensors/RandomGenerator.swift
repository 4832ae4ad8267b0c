/// A seeded generator (xoshiro256**, SplitMix64 seeding): same seed, same numbers, on every run and platform.
/// Used for parameter init, dropout masks and data generation.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// The generator's full state, for checkpoints: `RandomGenerator(state:)` continues the same stream.
    public var state: [UInt64] { [s.0, s.1, s.2, s.3] }

    /// Restores a generator from `state` (four words, as returned by `state`).
    public init(state: [UInt64]) {
        precondition(state.count == 4, "RandomGenerator: state needs 4 words, got \(state.count)")
        s = (state[0], state[1], state[2], state[3])
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    @inline(__always)
    public mutating func nextFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [low, high).
    @inline(__always)
    public mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * nextFloat() }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(Double(next() >> 11) * 0x1.0p-53, 1e-300)
        let u2 = Double(next() >> 11) * 0x1.0p-53
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// Uniform integer in 0..<n.
    public mutating func int(below n: Int) -> Int { Int(next(upperBound: UInt64(n))) }
}

/// The process-wide default generator, reseeded with `Random.seed(_:)` (like torch.manual_seed).
public enum Random {
    nonisolated(unsafe) public static var generator = RandomGenerator(seed: 0)
    public static func seed(_ seed: UInt64) { generator = RandomGenerator(seed: seed) }
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
