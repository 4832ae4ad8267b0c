import Tensors

/// Which norm `clipGradNorm` measures: Σ|g|, √Σg² or max|g| over all gradient elements.
public enum NormType: Sendable, Equatable { case l1, l2, infinity }

/// A gradient problem found while training.
public enum GradientError: Error, CustomStringConvertible, Equatable {
    /// The total gradient norm is NaN or infinite, so clipping cannot rescale the gradients.
    case nonFiniteNorm(Float)

    public var description: String {
        switch self {
        case let .nonFiniteNorm(norm):
            "the total gradient norm is \(norm), not finite, so the gradients cannot be clipped; the loss or "
                + "activations overflowed or the inputs hold NaN/Inf: lower the learning rate, check the data, "
                + "or pass errorIfNonFinite: false to continue (the gradients then become NaN, as in PyTorch)"
        }
    }
}

/// torch.nn.utils.clip_grad_norm_: measures the total norm of all gradients together and, when it exceeds
/// `maxNorm`, scales every gradient in place by `maxNorm / (norm + 1e-6)` (computed in Float32 as PyTorch
/// does, so the clipped values match bit for bit). Returns the norm before clipping. With
/// `errorIfNonFinite` a NaN/Inf norm throws `GradientError.nonFiniteNorm` and leaves the gradients
/// unchanged; without it the gradients are scaled by the NaN/zero coefficient, as PyTorch does.
/// Sums are accumulated in Float64; gradients sharing storage are scaled once.
@discardableResult
public func clipGradNorm(
    _ gradients: inout [String: Tensor], maxNorm: Float, normType: NormType = .l2, errorIfNonFinite: Bool = false
) throws -> Float {
    let grads = gradients.keys.sorted().map { gradients[$0]! }
    guard !grads.isEmpty else { return 0 }
    let norm: Float
    switch normType {
    case .l1: norm = Float(grads.reduce(0.0) { $0 + blockwise($1, sumOfAbs, +) })
    case .l2: norm = Float(grads.reduce(0.0) { $0 + blockwise($1, sumOfSquares, +) }.squareRoot())
    case .infinity:
        norm = Float(grads.reduce(0.0) { acc, g in
            let m = blockwise(g, maxAbs) { a, b in a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }
            return acc.isNaN || m.isNaN ? .nan : Swift.max(acc, m)
        })
    }
    if errorIfNonFinite && !norm.isFinite { throw GradientError.nonFiniteNorm(norm) }
    let coefficient = 1 / (norm + 1e-6) * maxNorm  // torch: max_norm / t is t.reciprocal() * max_norm
    guard !(coefficient >= 1) else { return norm }  // torch clamps to 1 (a no-op multiply); NaN is applied
    var seen = Set<ObjectIdentifier>()
    for g in grads where seen.insert(ObjectIdentifier(g.storage)).inserted {
        let p = g.mutableData
        Parallel.forEach(g.count) { r in for i in r { p[i] *= coefficient } }
    }
    return norm
}

/// Elements per independently reduced block: the result does not depend on the number of cores.
private let blockSize = 1 << 16

/// Reduces `t` block by block (in parallel) with `kernel`, then combines the blocks in order.
private func blockwise(
    _ t: Tensor, _ kernel: (UnsafePointer<Float>, Int) -> Double, _ combine: (Double, Double) -> Double
) -> Double {
    let blocks = (t.count + blockSize - 1) / blockSize
    var partial = [Double](repeating: 0, count: blocks)
    partial.withUnsafeMutableBufferPointer { out in
        let base = out.baseAddress!, x = t.data, n = t.count
        Parallel.forEach(blocks, grain: 1) { r in
            for b in r { base[b] = kernel(x + b * blockSize, Swift.min(blockSize, n - b * blockSize)) }
        }
    }
    return partial.dropFirst().reduce(partial.first ?? 0, combine)
}

/// Σx² with 8-lane Float32 partial sums over runs of 256 elements, accumulated in Float64.
private func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    laneSums(x, n) { $0 * $0 }
}

/// Σ|x| with the same accumulation as `sumOfSquares`.
private func sumOfAbs(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    laneSums(x, n) { $0.replacing(with: -$0, where: $0 .< 0) }
}

@inline(__always)
private func laneSums(_ x: UnsafePointer<Float>, _ n: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) -> Double {
    var total = 0.0, i = 0
    while i + 8 <= n {
        let end = Swift.min(n, i + 256)
        var acc = SIMD8<Float>()
        while i + 8 <= end {
            acc += f(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            i += 8
        }
        total += Double(acc.sum())
    }
    while i < n {
        total += Double(f(SIMD8(repeating: x[i]))[0])
        i += 1
    }
    return total
}

/// max|x|, NaN if any element is NaN.
private func maxAbs(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    var m: Float = 0, nan = false
    for i in 0..<n {
        let a = Swift.abs(x[i])
        m = a > m ? a : m
        nan = nan || a.isNaN
    }
    return nan ? .nan : Double(m)
}
