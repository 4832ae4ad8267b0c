import Foundation

/// Fused, numerically stable softmax and log-softmax along one axis (max subtracted before `exp`).
/// Both backward passes use the saved output only. The kernels run over contiguous rows; another axis is
/// moved last (one copy each way) so the row kernels stay vectorisable.

/// `exp(x − max) / Σ exp(x − max)` along `axis` (torch.softmax).
public func softmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    let out = alongLastAxis([x], axis, op: "softmax") { softmaxRows($0[0], log: false) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        [alongLastAxis([g, out], axis, op: "softmax") { softmaxBackwardRows($0[0], $0[1], log: false) }]
    }
}

/// `x − max − log Σ exp(x − max)` along `axis` (torch.log_softmax).
public func logSoftmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    let out = alongLastAxis([x], axis, op: "logSoftmax") { softmaxRows($0[0], log: true) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        [alongLastAxis([g, out], axis, op: "logSoftmax") { softmaxBackwardRows($0[0], $0[1], log: true) }]
    }
}

/// Applies a last-axis row kernel to tensors of one shape along `axis`, moving that axis last and back.
func alongLastAxis(_ xs: [Tensor], _ axis: Int, op: String, _ kernel: ([Tensor]) -> Tensor) -> Tensor {
    let rank = xs[0].rank
    let ax = Shape.axis(axis, rank: rank, op: op)
    if ax == max(rank - 1, 0) { return kernel(xs) }
    var order = Array(0..<rank)
    order.remove(at: ax)
    order.append(ax)
    var inverse = [Int](repeating: 0, count: rank)
    for (i, o) in order.enumerated() { inverse[o] = i }
    return permuteCopy(kernel(xs.map { permuteCopy($0, order) }), inverse)
}

/// Softmax or log-softmax of every contiguous last-axis row.
func softmaxRows(_ x: Tensor, log: Bool) -> Tensor {
    let n = x.rank == 0 ? 1 : x.shape[x.rank - 1]
    let rows = n == 0 ? 0 : x.count / n
    let out = Tensor(uninitialized: x.shape)
    let o = out.mutableData, p = x.data
    Parallel.forEach(rows, grain: max(1, 8_192 / max(n, 1))) { range in
        for r in range {
            let src = p + r * n, dst = o + r * n
            let m = Vector.max(src, n)
            dst.update(from: src, count: n)
            let s = Vector.expSubtracting(dst, n, m)
            if log {
                let logS = Foundation.log(s)
                for j in 0..<n { dst[j] = (src[j] - m) - logS }
            } else {
                let inv = 1 / s
                for j in 0..<n { dst[j] *= inv }
            }
        }
    }
    return out
}

/// Row backward: softmax `y · (g − Σ g·y)`, log-softmax `g − exp(y) · Σ g`.
func softmaxBackwardRows(_ g: Tensor, _ y: Tensor, log: Bool) -> Tensor {
    let n = y.rank == 0 ? 1 : y.shape[y.rank - 1]
    let rows = n == 0 ? 0 : y.count / n
    let out = Tensor(uninitialized: y.shape)
    let o = out.mutableData, pg = g.data, py = y.data
    Parallel.forEach(rows, grain: max(1, 8_192 / max(n, 1))) { range in
        for r in range {
            let gr = pg + r * n, yr = py + r * n, dst = o + r * n
            if log {
                let s = Vector.sum(gr, n)
                for j in 0..<n { dst[j] = gr[j] - Foundation.exp(yr[j]) * s }
            } else {
                let s = Vector.sum(n, { Vector.load(gr, $0) * Vector.load(yr, $0) }, { gr[$0] * yr[$0] })
                for j in 0..<n { dst[j] = yr[j] * (gr[j] - s) }
            }
        }
    }
    return out
}
