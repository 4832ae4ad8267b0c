/// Ops that change only the layout: reshape (shares storage), transpose and permute (copy).

/// The same elements with a new shape; one dimension may be -1 (inferred). Shares storage.
public func reshape(_ x: Tensor, _ shape: [Int]) -> Tensor {
    var shape = shape
    if let i = shape.firstIndex(of: -1) {
        let rest = shape.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
        precondition(rest > 0 && x.count % rest == 0, "reshape: cannot infer -1 in \(shape) for shape \(x.shape)")
        shape[i] = x.count / rest
    }
    precondition(Shape.count(shape) == x.count, "reshape: shape \(x.shape) (\(x.count) elements) to \(shape)")
    let out = Tensor(shape: shape, storage: x.storage)
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [Tensor(shape: x.shape, storage: g.storage)] }
}

/// Reorders dimensions: output dimension i is input dimension `order[i]` (as torch.permute).
public func permute(_ x: Tensor, _ order: [Int]) -> Tensor {
    let order = order.map { Shape.axis($0, rank: x.rank, op: "permute") }
    precondition(order.count == x.rank && Set(order).count == x.rank, "permute: order \(order) for shape \(x.shape)")
    let out = permuteCopy(x, order)
    guard Tape.isRecording(x) else { return out }
    var inverse = [Int](repeating: 0, count: order.count)
    for (i, o) in order.enumerated() { inverse[o] = i }
    return Tape.record(out, inputs: [x]) { g in [permuteCopy(g, inverse)] }
}

/// Swaps two dimensions (default: the last two).
public func transpose(_ x: Tensor, _ a: Int = -2, _ b: Int = -1) -> Tensor {
    var order = Array(0..<x.rank)
    order.swapAt(Shape.axis(a, rank: x.rank, op: "transpose"), Shape.axis(b, rank: x.rank, op: "transpose"))
    return permute(x, order)
}

/// Copy kernel for permute: walks the output in order, the innermost output dimension as a strided loop.
func permuteCopy(_ x: Tensor, _ order: [Int]) -> Tensor {
    if order == Array(0..<x.rank) { return x.copy() }
    let shape = order.map { x.shape[$0] }
    let inStrides = Shape.strides(x.shape)
    let strides = order.map { inStrides[$0] }
    let out = Tensor(uninitialized: shape)
    let rank = shape.count
    let inner = shape[rank - 1], innerStride = strides[rank - 1]
    let rows = inner == 0 ? 0 : out.count / inner
    let o = out.mutableData, p = x.data
    Parallel.forEach(rows, grain: max(1, 16_384 / max(inner, 1))) { range in
        for row in range {
            var rem = row, off = 0
            for d in stride(from: rank - 2, through: 0, by: -1) {
                off += (rem % shape[d]) * strides[d]
                rem /= shape[d]
            }
            let dst = o + row * inner, src = p + off
            for j in 0..<inner { dst[j] = src[j * innerStride] }
        }
    }
    return out
}
