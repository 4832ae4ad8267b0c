/// Integer-indexed reads: indexSelect (torch.index_select), gather (torch.gather) and embedding lookup.
/// Their backward passes scatter-add, so an index used several times receives the sum of its gradients.

/// Stops with the op name, the index and the size when an index is outside `0..<size`.
@inline(__always)
private func checkIndices(_ indices: UnsafeBufferPointer<Int>, size: Int, op: String, _ context: @autoclosure () -> String) {
    for i in indices where i < 0 || i >= size {
        preconditionFailure("\(op): index \(i) out of range for size \(size) (\(context()))")
    }
}

/// Rows grouped by destination (a counting sort): the positions reading row `r` are
/// `order[start[r]..<start[r + 1]]`, in increasing order, so sums come out in PyTorch's order.
private struct RowBuckets {
    let start: [Int]
    let order: [Int]

    init(_ indices: [Int], rows: Int) {
        var start = [Int](repeating: 0, count: rows + 1)
        for i in indices { start[i + 1] += 1 }
        for r in 0..<rows { start[r + 1] += start[r] }
        var next = start, order = [Int](repeating: 0, count: indices.count)
        for (k, i) in indices.enumerated() {
            order[next[i]] = k
            next[i] += 1
        }
        self.start = start
        self.order = order
    }
}

/// `gx[a, r, :] = Σ_{k : indices[k] = r} g[a, k, :]` for `gx` of shape (outer, rows, inner) and `g` of shape
/// (outer, indices.count, inner). Destination rows are split across cores, so no two threads write one row.
private func scatterAddRows(_ g: Tensor, indices: [Int], into shape: [Int], outer: Int, rows: Int, inner: Int,
                            skipping skipped: Int? = nil) -> Tensor {
    let gx = Tensor(zeros: shape)
    let buckets = RowBuckets(indices, rows: rows)
    let k = indices.count, pgx = gx.mutableData, pg = g.data
    buckets.start.withUnsafeBufferPointer { start in
        buckets.order.withUnsafeBufferPointer { order in
            Parallel.forEach(outer * rows, grain: max(1, 16_384 / max(inner, 1))) { range in
                for dest in range {
                    let a = dest / rows, r = dest % rows
                    if r == skipped { continue }
                    let d = pgx + dest * inner
                    for s in start[r]..<start[r + 1] {
                        let src = pg + (a * k + order[s]) * inner
                        for j in 0..<inner { d[j] += src[j] }
                    }
                }
            }
        }
    }
    return gx
}

/// Copies rows `indices` of `x`, viewed as (outer, rows, inner), into a fresh (outer, indices.count, inner).
private func gatherRows(_ x: Tensor, indices: [Int], shape: [Int], outer: Int, rows: Int, inner: Int) -> Tensor {
    let out = Tensor(uninitialized: shape)
    let k = indices.count, o = out.mutableData, p = x.data
    indices.withUnsafeBufferPointer { idx in
        Parallel.forEach(outer * k, grain: max(1, 32_768 / max(inner, 1))) { range in
            for row in range {
                let a = row / k
                (o + row * inner).update(from: p + (a * rows + idx[row % k]) * inner, count: inner)
            }
        }
    }
    return out
}

/// Entries `indices` of `x` along `axis`, in that order (torch.index_select); indices may repeat.
public func indexSelect(_ x: Tensor, axis: Int, indices: [Int]) -> Tensor {
    let ax = Shape.axis(axis, rank: x.rank, op: "indexSelect")
    let (outer, n, inner) = splitAround(x.shape, ax)
    indices.withUnsafeBufferPointer {
        checkIndices($0, size: n, op: "indexSelect", "axis \(axis) of shape \(x.shape)")
    }
    var shape = x.shape
    shape[ax] = indices.count
    let out = gatherRows(x, indices: indices, shape: shape, outer: outer, rows: n, inner: inner)
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        [scatterAddRows(g, indices: indices, into: x.shape, outer: outer, rows: n, inner: inner)]
    }
}

/// torch.gather: `out[i₀…, j, …] = x[i₀…, indices[i₀…, j, …], …]` along `axis`, where `indices` (row-major)
/// has shape `indexShape`, of x's rank and no larger than x outside `axis`. The output has shape `indexShape`.
public func gather(_ x: Tensor, axis: Int, indices: [Int], indexShape: [Int]) -> Tensor {
    let ax = Shape.axis(axis, rank: x.rank, op: "gather")
    precondition(
        indexShape.count == x.rank && indices.count == Shape.count(indexShape)
            && indexShape.indices.allSatisfy { $0 == ax || indexShape[$0] <= x.shape[$0] },
        "gather: index shape \(indexShape) (\(indices.count) indices) does not fit input shape \(x.shape) on axis \(axis)")
    indices.withUnsafeBufferPointer {
        checkIndices($0, size: x.shape[ax], op: "gather", "axis \(axis) of shape \(x.shape)")
    }
    // Every output element lies on a fibre (a, j) running along the axis; fibres read and write disjoint
    // parts of x, so they are split across cores. xOuter/xInner are the x offsets of a fibre's start.
    let (outer, k, inner) = splitAround(indexShape, ax)
    let xStrides = Shape.strides(x.shape), axisStride = xStrides[ax]
    func offsets(_ dims: Range<Int>) -> [Int] {
        var offs = [0]
        for d in dims {
            offs = offs.flatMap { base in (0..<indexShape[d]).map { base + $0 * xStrides[d] } }
        }
        return offs
    }
    let xOuter = offsets(0..<ax), xInner = offsets((ax + 1)..<x.rank)
    func forEachElement(_ body: (_ element: Int, _ xOffset: Int) -> Void) {
        xOuter.withUnsafeBufferPointer { po in
            xInner.withUnsafeBufferPointer { pi in
                indices.withUnsafeBufferPointer { idx in
                    Parallel.forEach(outer * inner, grain: max(1, 16_384 / max(k, 1))) { range in
                        for fibre in range {
                            let a = fibre / inner, j = fibre % inner, base = po[a] + pi[j]
                            for t in 0..<k {
                                let e = (a * k + t) * inner + j
                                body(e, base + idx[e] * axisStride)
                            }
                        }
                    }
                }
            }
        }
    }
    let out = Tensor(uninitialized: indexShape)
    let o = out.mutableData, p = x.data
    forEachElement { e, xo in o[e] = p[xo] }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        let gx = Tensor(zeros: x.shape)
        let pgx = gx.mutableData, pg = g.data
        forEachElement { e, xo in pgx[xo] += pg[e] }
        return [gx]
    }
}

/// Embedding lookup: rows `indices` of the [count, dim] `weight`, shaped `shape + [dim]`.
/// The backward pass scatter-adds into weight rows (rows split across cores); the row `paddingIndex`
/// gets no gradient, as PyTorch's `padding_idx`.
public func embedding(_ weight: Tensor, indices: [Int], shape: [Int], paddingIndex: Int? = nil) -> Tensor {
    precondition(weight.rank == 2, "embedding: weight must be [count, dim], got \(weight.shape)")
    precondition(Shape.count(shape) == indices.count,
                 "embedding: shape \(shape) needs \(Shape.count(shape)) indices, got \(indices.count)")
    let (rows, dim) = (weight.shape[0], weight.shape[1])
    indices.withUnsafeBufferPointer { checkIndices($0, size: rows, op: "embedding", "weight of shape \(weight.shape)") }
    let padding = paddingIndex.map { $0 < 0 ? $0 + rows : $0 }
    if let padding {
        precondition(padding >= 0 && padding < rows,
                     "embedding: padding index \(paddingIndex!) out of range for size \(rows)")
    }
    let out = gatherRows(weight, indices: indices, shape: shape + [dim], outer: 1, rows: rows, inner: dim)
    guard Tape.isRecording(weight) else { return out }
    return Tape.record(out, inputs: [weight]) { g in
        [scatterAddRows(g, indices: indices, into: weight.shape, outer: 1, rows: rows, inner: dim, skipping: padding)]
    }
}
