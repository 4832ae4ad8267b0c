import Foundation

/// 16-lane SIMD building blocks for the row kernels: loads/stores, lane-parallel reductions and a vectorised
/// `exp`. Swift does not reassociate floating-point sums, so a plain `for` loop that accumulates runs one add
/// at a time; these accumulate 16 partial sums (a fixed order, independent of the thread count) instead.
enum Vector {
    typealias V = SIMD16<Float>
    static let width = 16

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ j: Int) -> V { UnsafeRawPointer(p + j).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ j: Int) { UnsafeMutableRawPointer(p + j).storeBytes(of: v, as: V.self) }

    /// Runs `lanes(j)` for j = lo, lo + 16, … while 16 elements remain in `range`, then `scalar(j)` for the tail.
    @inline(__always)
    static func forEach(_ range: Range<Int>, _ lanes: (Int) -> Void, _ scalar: (Int) -> Void) {
        var j = range.lowerBound
        while j + width <= range.upperBound {
            lanes(j)
            j += width
        }
        while j < range.upperBound {
            scalar(j)
            j += 1
        }
    }

    /// Σ_j f(j) over 0..<n: `lanes(j)` gives f at j..<j+16, `scalar(j)` at one j (the tail).
    @inline(__always)
    static func sum(_ n: Int, _ lanes: (Int) -> V, _ scalar: (Int) -> Float) -> Float {
        var acc = V(), j = 0
        while j + width <= n {
            acc += lanes(j)
            j += width
        }
        var s = acc.sum()
        while j < n {
            s += scalar(j)
            j += 1
        }
        return s
    }

    /// Σ x[j].
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float { sum(n, { load(x, $0) }, { x[$0] }) }

    /// max_j x[j] (−∞ for n = 0; NaNs are skipped). Uses masks: `pointwiseMax` is not vectorised.
    @inline(__always)
    static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = V(repeating: -.infinity), j = 0
        while j + width <= n {
            let v = load(x, j)
            acc.replace(with: v, where: v .> acc)
            j += width
        }
        var m = j > 0 ? laneMax(acc) : -.infinity
        while j < n {
            if x[j] > m { m = x[j] }
            j += 1
        }
        return m
    }

    /// The largest lane of a vector without NaNs, folding halves (the standard library's `max()` reduction is
    /// a generic lane-by-lane loop, hundreds of instructions per call, which the softmax of short rows pays per row).
    @inline(__always)
    static func laneMax(_ v: V) -> Float {
        var h8 = v.lowHalf, o8 = v.highHalf
        h8.replace(with: o8, where: o8 .> h8)
        var h4 = h8.lowHalf, o4 = h8.highHalf
        h4.replace(with: o4, where: o4 .> h4)
        var h2 = h4.lowHalf, o2 = h4.highHalf
        h2.replace(with: o2, where: o2 .> h2)
        return Swift.max(h2.x, h2.y)
    }

    /// e^x lane-wise (Cephes expf: round-to-nearest range reduction by ln 2, degree-6 polynomial; relative
    /// error ≤ 2e-7). −∞ and anything below −87.3 give 0, NaN stays NaN. Clamps with masks, since
    /// `pointwiseMin`/`pointwiseMax` are not vectorised.
    @inline(__always)
    static func exp(_ x: V) -> V {
        var c = x.replacing(with: -87.3, where: x .< -87.3)
        c.replace(with: 88.3, where: c .> 88.3)
        let t = c * 1.44269504088896341 + 12_582_912  // + 1.5·2²³ rounds to the nearest integer k
        let k = t - 12_582_912
        let r = c - k * 0.693359375 + k * 2.12194440e-4
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let e = p * (r * r) + r + 1
        let n = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000  // k as an integer
        var y = e * unsafeBitCast((n &+ 127) &<< 23, to: V.self)         // · 2^k
        y.replace(with: 0, where: x .< -87.3)
        y.replace(with: x, where: x .!= x)
        return y
    }

    /// In place: x[j] = e^(x[j] − shift); returns Σ of the results.
    @inline(__always)
    static func expSubtracting(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ shift: Float) -> Float {
        var acc = V(), j = 0
        while j + width <= n {
            let e = exp(load(x, j) - shift)
            store(e, x, j)
            acc += e
            j += width
        }
        if j < n {  // tail: one vector padded with −∞ (e^−∞ = 0), copied in and out whole: lane-by-lane access
            var t = V(repeating: -.infinity)  // of a SIMD value costs a spill and a reload per lane
            withUnsafeMutableBytes(of: &t) { $0.baseAddress!.copyMemory(from: x + j, byteCount: (n - j) * MemoryLayout<Float>.stride) }
            let e = exp(t - shift)
            withUnsafeBytes(of: e) { (x + j).update(from: $0.baseAddress!.assumingMemoryBound(to: Float.self), count: n - j) }
            acc += e
        }
        return acc.sum()
    }
}
