/// Reductions over axes: sum, mean, max. Each reduces one axis at a time as an (outer, n, inner) view.

/// Shape split around one axis: elements before it, along it, after it.
@inline(__always)
func splitAround(_ shape: [Int], _ axis: Int) -> (outer: Int, n: Int, inner: Int) {
    (Shape.count(Array(shape[..<axis])), shape[axis], Shape.count(Array(shape[(axis + 1)...])))
}

/// Sum over one axis, keeping it as size 1 (not recorded).
func sumAxisKeep(_ x: Tensor, _ axis: Int) -> Tensor {
    var shape = x.shape
    let (outer, n, inner) = splitAround(shape, axis)
    shape[axis] = 1
    let out = Tensor(zeros: shape)
    let o = out.mutableData, p = x.data
    if outer < Parallel.cores && inner >= 256 {
        // Few outer slices (e.g. a bias gradient, [rows, out] summed over rows): split the columns instead.
        // Each column is still summed in row order, so results do not depend on the split.
        let blocks = (inner + 63) / 64
        for a in 0..<outer {
            Parallel.forEach(blocks, grain: max(1, blocks * 32_768 / max(n * inner, 1))) { range in
                let lo = range.lowerBound * 64, hi = min(inner, range.upperBound * 64)
                let dst = o + a * inner
                for k in 0..<n {
                    let src = p + (a * n + k) * inner
                    for j in lo..<hi { dst[j] += src[j] }
                }
            }
        }
        return out
    }
    Parallel.forEach(outer, grain: max(1, 32_768 / max(n * inner, 1))) { range in
        for a in range {
            let dst = o + a * inner
            for k in 0..<n {
                let src = p + (a * n + k) * inner
                for j in 0..<inner { dst[j] += src[j] }
            }
        }
    }
    return out
}

/// Repeats `g` (with size-1 dimensions) along them to `shape` (not recorded).
func expand(_ g: Tensor, to shape: [Int]) -> Tensor {
    if g.shape == shape { return g }
    return broadcastBinary(Tensor(zeros: shape), g, op: "expand") { _, v in v }
}

/// Sum over `axes` (all axes when nil); `keepDims` keeps them as size 1.
public func sum(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let axes = Set((axes ?? Array(0..<x.rank)).map { Shape.axis($0, rank: x.rank, op: "sum") })
    var out = x
    for a in axes.sorted() where x.rank > 0 { out = sumAxisKeep(out, a) }
    if out === x { out = x.copy() }
    let kept = out.shape
    if !keepDims { out = Tensor(shape: x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element), storage: out.storage) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [expand(Tensor(shape: kept, storage: g.storage), to: x.shape)] }
}

/// Mean over `axes` (all axes when nil).
public func mean(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let axes = axes ?? Array(0..<x.rank)
    let n = axes.reduce(1) { $0 * x.shape[Shape.axis($1, rank: x.rank, op: "mean")] }
    return sum(x, axes: axes, keepDims: keepDims) * (1 / Float(max(n, 1)))
}

/// Maximum over one axis; the gradient goes to the first maximal element (as torch.max(dim)).
public func max(_ x: Tensor, axis: Int, keepDims: Bool = false) -> Tensor {
    let ax = Shape.axis(axis, rank: x.rank, op: "max")
    let (outer, n, inner) = splitAround(x.shape, ax)
    precondition(n > 0, "max: empty axis \(axis) in shape \(x.shape)")
    var kept = x.shape
    kept[ax] = 1
    let out = Tensor(uninitialized: kept)
    var index = [Int32](repeating: 0, count: outer * inner)
    let o = out.mutableData, p = x.data
    index.withUnsafeMutableBufferPointer { idx in
        for a in 0..<outer {
            for j in 0..<inner {
                var best = p[a * n * inner + j], bi: Int32 = 0
                for k in 1..<max(n, 1) where p[(a * n + k) * inner + j] > best {
                    best = p[(a * n + k) * inner + j]
                    bi = Int32(k)
                }
                o[a * inner + j] = best
                idx[a * inner + j] = bi
            }
        }
    }
    let result = keepDims ? out : Tensor(shape: x.shape.enumerated().filter { $0.offset != ax }.map(\.element), storage: out.storage)
    guard Tape.isRecording(x) else { return result }
    return Tape.record(result, inputs: [x]) { g in
        let gx = Tensor(zeros: x.shape)
        let pgx = gx.mutableData, pg = g.data
        for a in 0..<outer {
            for j in 0..<inner {
                pgx[(a * n + Int(index[a * inner + j])) * inner + j] = pg[a * inner + j]
            }
        }
        return [gx]
    }
}
