/// Fused layer normalisation over the last dimension (torch.nn.functional.layer_norm with
/// `normalized_shape = [D]`): `y = (x − mean) · rstd · weight + bias`, `rstd = 1/√(var + eps)` with the
/// biased variance. Forward caches mean and rstd per row; backward computes dx, dweight and dbias in one
/// pass per row, rows split across cores, with per-chunk partial sums for dweight/dbias (no races,
/// summed in a fixed order so results are deterministic).
public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
    layerNorm(x, adding: nil, weight: weight, bias: bias, eps: eps)
}

/// Fused residual + layer normalisation: `layerNorm(x + residual)` (same shapes) in one pass per row. The
/// sum is kept for backward, whose one input gradient goes to both `x` and `residual`.
public func layerNorm(_ x: Tensor, adding residual: Tensor?, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
    precondition(x.rank >= 1, "layerNorm: input of shape \(x.shape) has no last dimension")
    if let residual { precondition(residual.shape == x.shape, "layerNorm: residual \(residual.shape) for input \(x.shape)") }
    let d = x.shape[x.rank - 1]
    if let weight { precondition(weight.shape == [d], "layerNorm: weight \(weight.shape) for input \(x.shape)") }
    if let bias { precondition(bias.shape == [d], "layerNorm: bias \(bias.shape) for input \(x.shape)") }
    let rows = d == 0 ? 0 : x.count / d
    let out = Tensor(uninitialized: x.shape)
    let stats = Tensor(uninitialized: [rows, 2])  // mean, rstd per row
    // With a residual, the normalised input is the sum, written here and kept for backward.
    let summed = residual.map { _ in Tensor(uninitialized: x.shape) }
    let o = out.mutableData, px = x.data, pr = residual?.data, ps = summed?.mutableData, st = stats.mutableData
    let pw = weight?.data, pb = bias?.data
    let invD = 1 / Float(max(d, 1))
    Parallel.forEach(rows, grain: max(1, 8_192 / max(d, 1))) { range in
        for r in range {
            let dst = o + r * d
            var src = px + r * d
            if let pr, let ps {
                let a = pr + r * d, s = ps + r * d
                for j in 0..<d { s[j] = src[j] + a[j] }
                src = UnsafePointer(s)
            }
            let mean = Vector.sum(src, d) * invD
            let v = Vector.sum(d, { let c = Vector.load(src, $0) - mean; return c * c }, { let c = src[$0] - mean; return c * c })
            let rstd = 1 / (v * invD + eps).squareRoot()
            st[2 * r] = mean
            st[2 * r + 1] = rstd
            switch (pw, pb) {
            case let (w?, b?): for j in 0..<d { dst[j] = (src[j] - mean) * rstd * w[j] + b[j] }
            case let (w?, nil): for j in 0..<d { dst[j] = (src[j] - mean) * rstd * w[j] }
            case let (nil, b?): for j in 0..<d { dst[j] = (src[j] - mean) * rstd + b[j] }
            case (nil, nil): for j in 0..<d { dst[j] = (src[j] - mean) * rstd }
            }
        }
    }
    let inputs = [x] + [residual, weight, bias].compactMap { $0 }
    guard Tape.isRecording(inputs) else { return out }
    return Tape.record(out, inputs: inputs) { g in
        let (dx, dw, db) = layerNormBackward(g, summed ?? x, weight, stats,
                                             needX: x.requiresGrad || (residual?.requiresGrad ?? false),
                                             needW: weight?.requiresGrad ?? false, needB: bias?.requiresGrad ?? false)
        var grads: [Tensor?] = [dx]
        if residual != nil { grads.append(dx) }
        if weight != nil { grads.append(dw) }
        if bias != nil { grads.append(db) }
        return grads
    }
}

/// One pass per row: `dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂))` with `ĝ = g · weight`,
/// `dweight = Σ g · x̂`, `dbias = Σ g` (per-chunk partial rows, then summed in chunk order).
func layerNormBackward(
    _ g: Tensor, _ x: Tensor, _ weight: Tensor?, _ stats: Tensor, needX: Bool, needW: Bool, needB: Bool
) -> (Tensor?, Tensor?, Tensor?) {
    let d = x.shape[x.rank - 1]
    let rows = d == 0 ? 0 : x.count / d
    let chunks = Swift.max(1, Swift.min(Parallel.cores, rows * d / 16_384))
    let per = (rows + chunks - 1) / Swift.max(chunks, 1)
    let dx = needX ? Tensor(uninitialized: x.shape) : nil
    let partial = Tensor(zeros: [chunks, 2, d])  // per chunk: dweight row, dbias row
    let pg = g.data, px = x.data, st = stats.data, pw = weight?.data
    let pdx = dx?.mutableData, pp = partial.mutableData
    let invD = 1 / Float(Swift.max(d, 1))
    let needParams = needW || needB
    Parallel.forEach(chunks, grain: 1) { cr in
        for c in cr {
            let dwRow = pp + c * 2 * d, dbRow = dwRow + d
            for r in (c * per)..<Swift.min(rows, (c + 1) * per) {
                let gr = pg + r * d, xr = px + r * d
                let mean = st[2 * r], rstd = st[2 * r + 1]
                if needParams {
                    for j in 0..<d {
                        dwRow[j] += gr[j] * (xr[j] - mean) * rstd
                        dbRow[j] += gr[j]
                    }
                }
                guard let pdx else { continue }
                // ĝ = g · weight; sg = mean(ĝ), sgx = mean(ĝ · x̂)
                let sg: Float, sgx: Float
                if let pw {
                    sg = Vector.sum(d, { Vector.load(gr, $0) * Vector.load(pw, $0) }, { gr[$0] * pw[$0] }) * invD
                    sgx = Vector.sum(d, { Vector.load(gr, $0) * Vector.load(pw, $0) * ((Vector.load(xr, $0) - mean) * rstd) },
                                     { gr[$0] * pw[$0] * ((xr[$0] - mean) * rstd) }) * invD
                } else {
                    sg = Vector.sum(gr, d) * invD
                    sgx = Vector.sum(d, { Vector.load(gr, $0) * ((Vector.load(xr, $0) - mean) * rstd) },
                                     { gr[$0] * ((xr[$0] - mean) * rstd) }) * invD
                }
                let dr = pdx + r * d
                if let pw {
                    for j in 0..<d { dr[j] = rstd * (gr[j] * pw[j] - sg - (xr[j] - mean) * rstd * sgx) }
                } else {
                    for j in 0..<d { dr[j] = rstd * (gr[j] - sg - (xr[j] - mean) * rstd * sgx) }
                }
            }
        }
    }
    guard needParams else { return (dx, nil, nil) }
    let dw = Tensor(zeros: [d]), db = Tensor(zeros: [d])
    let ow = dw.mutableData, ob = db.mutableData
    for c in 0..<chunks {
        let dwRow = pp + c * 2 * d, dbRow = dwRow + d
        for j in 0..<d { ow[j] += dwRow[j]; ob[j] += dbRow[j] }
    }
    return (dx, needW ? dw : nil, needB ? db : nil)
}
