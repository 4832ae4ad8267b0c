/// Mean squared error `(a − b)²` with a `reduction` (torch.nn.functional.mse_loss); `a` and `b` have the
/// same shape. Fused: one pass forward, one pass backward (`±2·(a − b)·g`, divided by the count for `.mean`).
public func mseLoss(_ a: Tensor, _ b: Tensor, reduction: Reduction = .mean) -> Tensor {
    precondition(a.shape == b.shape, "mseLoss: shapes \(a.shape) and \(b.shape) differ")
    let sq = broadcastBinary(a, b, op: "mseLoss") { ($0 - $1) * ($0 - $1) }
    let out: Tensor
    switch reduction {
    case .none: out = sq
    case .sum, .mean:
        var total: Double = 0
        let p = sq.data
        for i in 0..<sq.count { total += Double(p[i]) }
        out = Tensor(Float(reduction == .sum ? total : total / Double(Swift.max(a.count, 1))))
    }
    guard Tape.isRecording(a, b) else { return out }
    return Tape.record(out, inputs: [a, b]) { g in
        let ga: Tensor
        switch reduction {
        case .none: ga = broadcastBinary(broadcastBinary(a, b, op: "mseLoss", -), g, op: "mseLoss") { 2 * $0 * $1 }
        case .sum, .mean:
            let k = 2 * g.item / (reduction == .sum ? 1 : Float(Swift.max(a.count, 1)))
            ga = broadcastBinary(a, b, op: "mseLoss") { k * ($0 - $1) }
        }
        return [a.requiresGrad ? ga : nil, b.requiresGrad ? neg(ga) : nil]
    }
}
