/// Slicing along one axis (torch.narrow / `x[..., a:b, ...]`); the gradient is zero outside the slice.
public func slice(_ x: Tensor, axis: Int, _ range: Range<Int>) -> Tensor {
    let ax = Shape.axis(axis, rank: x.rank, op: "slice")
    precondition(range.lowerBound >= 0 && range.upperBound <= x.shape[ax],
                 "slice: range \(range) out of bounds for axis \(axis) of shape \(x.shape)")
    let (outer, n, inner) = splitAround(x.shape, ax)
    var shape = x.shape
    shape[ax] = range.count
    let out = Tensor(uninitialized: shape)
    let o = out.mutableData, p = x.data, width = range.count * inner
    Parallel.forEach(outer, grain: max(1, 32_768 / max(width, 1))) { r in
        for a in r { (o + a * width).update(from: p + (a * n + range.lowerBound) * inner, count: width) }
    }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        let gx = Tensor(zeros: x.shape)
        let pgx = gx.mutableData, pg = g.data
        Parallel.forEach(outer, grain: max(1, 32_768 / max(width, 1))) { r in
            for a in r { (pgx + (a * n + range.lowerBound) * inner).update(from: pg + a * width, count: width) }
        }
        return [gx]
    }
}
