import Foundation

/// Fused cross-entropy from logits (torch.nn.functional.cross_entropy with class-index targets):
/// log-softmax, negative log-likelihood, label smoothing and reduction in one kernel per row.
///
/// `logits` is [N, C], `targets` holds N class indices. A row whose target equals `ignoreIndex` contributes
/// nothing (its `.none` loss is 0) and `.mean` divides by the number of other rows (NaN when every row is
/// ignored, as PyTorch). With label smoothing ε a row's loss is `(1 − ε)·(−log pₜ) + ε·mean_c(−log p_c)`.
/// Forward caches each row's log-sum-exp; backward is `softmax − (1 − ε)·onehot − ε/C` per kept row.
public func crossEntropy(
    _ logits: Tensor, targets: [Int], ignoreIndex: Int = -100, labelSmoothing: Float = 0,
    reduction: Reduction = .mean
) -> Tensor {
    precondition(logits.rank == 2, "crossEntropy: logits of shape \(logits.shape), expected [N, C]")
    let (n, c) = (logits.shape[0], logits.shape[1])
    precondition(targets.count == n, "crossEntropy: \(targets.count) targets for logits of shape \(logits.shape)")
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "crossEntropy: labelSmoothing \(labelSmoothing) must be in [0, 1]")
    for (i, t) in targets.enumerated() where t != ignoreIndex {
        precondition(t >= 0 && t < c, "crossEntropy: target \(t) at row \(i) is out of range for C = \(c) classes (logits \(logits.shape))")
    }
    let eps = labelSmoothing
    let losses = Tensor(uninitialized: [n])
    let lse = Tensor(uninitialized: [n])
    let pl = losses.mutableData, pz = lse.mutableData, p = logits.data
    targets.withUnsafeBufferPointer { tg in
        Parallel.forEach(n, grain: max(1, 8_192 / max(c, 1))) { range in
            for i in range {
                let row = p + i * c
                var m = -Float.infinity, sx: Float = 0
                for j in 0..<c { m = Swift.max(m, row[j]); sx += row[j] }
                var s: Float = 0
                for j in 0..<c { s += Foundation.exp(row[j] - m) }
                let logS = Foundation.log(s)
                pz[i] = m + logS
                let t = tg[i]
                pl[i] = t == ignoreIndex ? 0 : (1 - eps) * ((m - row[t]) + logS) + (eps == 0 ? 0 : eps * ((m - sx / Float(c)) + logS))
            }
        }
    }
    let kept = targets.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
    let out: Tensor
    switch reduction {
    case .none: out = losses
    case .sum, .mean:
        var total: Float = 0
        for i in 0..<n { total += pl[i] }
        out = Tensor(reduction == .sum ? total : total / Float(kept))
    }
    guard Tape.isRecording(logits) else { return out }
    return Tape.record(out, inputs: [logits]) { g in
        let gx = Tensor(uninitialized: logits.shape)
        let o = gx.mutableData, pg = g.data, pz = lse.data
        let offValue = eps / Float(c)
        targets.withUnsafeBufferPointer { tg in
            Parallel.forEach(n, grain: max(1, 8_192 / max(c, 1))) { range in
                for i in range {
                    let row = p + i * c, dst = o + i * c, t = tg[i]
                    if t == ignoreIndex {
                        for j in 0..<c { dst[j] = 0 }
                        continue
                    }
                    let scale: Float
                    switch reduction {
                    case .none: scale = pg[i]
                    case .sum: scale = pg[0]
                    case .mean: scale = pg[0] / Float(kept)
                    }
                    let z = pz[i]
                    for j in 0..<c { dst[j] = scale * (Foundation.exp(row[j] - z) - offValue) }
                    dst[t] -= scale * (1 - eps)
                }
            }
        }
        return [gx]
    }
}
