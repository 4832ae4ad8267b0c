/// Fused batch normalisation over the channels of an NCHW tensor (torch.nn.functional.batch_norm).
///
/// Training: each channel is normalised with its batch mean and biased variance over N·H·W, and the running
/// buffers (when given) are updated in place exactly as PyTorch does: `running = (1 − momentum) · running +
/// momentum · batch`, with the unbiased variance for `runningVar`. Evaluation: normalises with the running
/// statistics (which are then required). `weight` and `bias` ([C], optional) are the affine parameters.
/// Channels run in parallel; each owns its outputs, so results are deterministic.
public func batchNorm2d(
    _ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?, training: Bool,
    momentum: Float = 0.1, eps: Float = 1e-5
) -> Tensor {
    precondition(x.rank == 4, "batchNorm2d: input \(x.shape) must be [N, C, H, W]")
    let (n, c, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    for (name, t) in [("weight", weight), ("bias", bias), ("runningMean", runningMean), ("runningVar", runningVar)] {
        if let t { precondition(t.shape == [c], "batchNorm2d: \(name) \(t.shape) for input \(x.shape)") }
    }
    let count = n * plane
    if training {
        precondition(count > 1, "batchNorm2d: training needs more than one value per channel, input \(x.shape)")
    } else {
        precondition(runningMean != nil && runningVar != nil, "batchNorm2d: evaluation needs running statistics, input \(x.shape)")
    }
    let out = Tensor(uninitialized: x.shape)
    let stats = Tensor(uninitialized: [c, 2])  // mean, rstd used to normalise each channel
    let px = x.data, po = out.mutableData, st = stats.mutableData
    let pw = weight?.data, pb = bias?.data
    let rm = runningMean?.mutableData, rv = runningVar?.mutableData
    let grain = Swift.max(1, 32_768 / Swift.max(count, 1))
    // Training statistics in two passes over each channel (sum, then squared deviations from the mean), each
    // summed over the replicas when the batch is split across processes (`Replicas`: PyTorch's SyncBatchNorm).
    var total = count
    if training {
        var sums = [Float](repeating: 0, count: c + 1)
        sums.withUnsafeMutableBufferPointer { buffer in
            let sp = buffer.baseAddress!
            Parallel.forEach(c, grain: grain) { range in
                for ch in range {
                    var s: Float = 0
                    for i in 0..<n { let p = px + (i * c + ch) * plane; for j in 0..<plane { s += p[j] } }
                    sp[ch] = s
                }
            }
            sp[c] = Float(count)
            Replicas.sum?(buffer)
            total = Int(sp[c])
            let invTotal = 1 / Float(total)
            for ch in 0..<c { st[2 * ch] = sp[ch] * invTotal }
            Parallel.forEach(c, grain: grain) { range in
                for ch in range {
                    let mu = st[2 * ch]
                    var v: Float = 0
                    for i in 0..<n { let p = px + (i * c + ch) * plane; for j in 0..<plane { let d = p[j] - mu; v += d * d } }
                    sp[ch] = v
                }
            }
            Replicas.sum?(UnsafeMutableBufferPointer(rebasing: buffer[0..<c]))
            for ch in 0..<c {
                let mu = st[2 * ch], v = sp[ch]
                st[2 * ch + 1] = 1 / (v * invTotal + eps).squareRoot()
                if let rm { rm[ch] = (1 - momentum) * rm[ch] + momentum * mu }
                if let rv { rv[ch] = (1 - momentum) * rv[ch] + momentum * v / Float(total - 1) }
            }
        }
    } else {
        for ch in 0..<c {
            st[2 * ch] = rm![ch]
            st[2 * ch + 1] = 1 / (rv![ch] + eps).squareRoot()
        }
    }
    Parallel.forEach(c, grain: grain) { range in
        for ch in range {
            let mean = st[2 * ch], rstd = st[2 * ch + 1]
            let scale = rstd * (pw?[ch] ?? 1), shift = (pb?[ch] ?? 0) - mean * scale
            for i in 0..<n {
                let p = px + (i * c + ch) * plane, q = po + (i * c + ch) * plane
                for j in 0..<plane { q[j] = p[j] * scale + shift }
            }
        }
    }
    let inputs = [x] + [weight, bias].compactMap { $0 }
    guard Tape.isRecording(inputs) else { return out }
    return Tape.record(out, inputs: inputs) { g in
        let (dx, dw, db) = batchNorm2dBackward(
            g, x, weight, stats, training: training, total: total, needX: x.requiresGrad,
            needW: weight?.requiresGrad ?? false, needB: bias?.requiresGrad ?? false)
        var grads: [Tensor?] = [dx]
        if weight != nil { grads.append(dw) }
        if bias != nil { grads.append(db) }
        return grads
    }
}

/// Per channel, with `x̂ = (x − mean) · rstd`: `dbias = Σ g`, `dweight = Σ g · x̂`, and
/// `dx = weight · rstd · (g − Σg / M − x̂ · Σ(g · x̂) / M)` in training (M = the `total` values the statistics
/// came from, all replicas' when the batch is split: then Σg and Σ(g · x̂) in `dx` are summed over the replicas,
/// while `dweight` and `dbias` stay this replica's, to be averaged with the other gradients) or
/// `dx = weight · rstd · g` in evaluation.
func batchNorm2dBackward(
    _ g: Tensor, _ x: Tensor, _ weight: Tensor?, _ stats: Tensor, training: Bool, total: Int, needX: Bool, needW: Bool, needB: Bool
) -> (Tensor?, Tensor?, Tensor?) {
    let (n, c, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    let dx = needX ? Tensor(uninitialized: x.shape) : nil
    let dw = needW ? Tensor(uninitialized: [c]) : nil, db = needB ? Tensor(uninitialized: [c]) : nil
    let pg = g.data, px = x.data, st = stats.data, pw = weight?.data
    let pdx = dx?.mutableData, pdw = dw?.mutableData, pdb = db?.mutableData
    let invCount = 1 / Float(total)
    let grain = Swift.max(1, 32_768 / Swift.max(n * plane, 1))
    var sums = [Float](repeating: 0, count: 2 * c)  // Σ g, Σ g · x̂ per channel
    sums.withUnsafeMutableBufferPointer { buffer in
        let sp = buffer.baseAddress!
        Parallel.forEach(c, grain: grain) { range in
            for ch in range {
                let mean = st[2 * ch], rstd = st[2 * ch + 1]
                var sg: Float = 0, sgx: Float = 0
                for i in 0..<n {
                    let gp = pg + (i * c + ch) * plane, xp = px + (i * c + ch) * plane
                    for j in 0..<plane { sg += gp[j]; sgx += gp[j] * (xp[j] - mean) }
                }
                sgx *= rstd
                pdw?[ch] = sgx
                pdb?[ch] = sg
                sp[2 * ch] = sg
                sp[2 * ch + 1] = sgx
            }
        }
        guard let pdx else { return }
        if training { Replicas.sum?(buffer) }
        Parallel.forEach(c, grain: grain) { range in
            for ch in range {
                let mean = st[2 * ch], rstd = st[2 * ch + 1], sg = sp[2 * ch], sgx = sp[2 * ch + 1]
                let k = rstd * (pw?[ch] ?? 1)
                let meanG = training ? sg * invCount : 0, meanGX = training ? sgx * invCount * rstd : 0
                for i in 0..<n {
                    let gp = pg + (i * c + ch) * plane, xp = px + (i * c + ch) * plane, dp = pdx + (i * c + ch) * plane
                    for j in 0..<plane { dp[j] = k * (gp[j] - meanG - (xp[j] - mean) * meanGX) }
                }
            }
        }
    }
    return (dx, dw, db)
}
