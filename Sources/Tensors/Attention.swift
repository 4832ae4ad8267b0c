import Foundation

/// Fused multi-head scaled-dot-product attention over packed heads: head h of a [B, L, H·D] tensor is
/// its column block h·D ..< (h+1)·D, read and written in place by `BLAS.sgemm` leading dimensions, so
/// no permute copies are made. One (batch, head) pair per task, split across the cores.

/// Which query–key pairs may attend, besides the key padding mask, shaped [Lq, Lk] (shared by every batch
/// item and head) or [B·H, Lq, Lk], as PyTorch's `attn_mask`. Masks are constants (no gradient).
public enum AttentionMask {
    /// `true` = blocked (PyTorch `nn.MultiheadAttention` polarity).
    case bool(Mask)
    /// Added to the scaled scores before the softmax (−∞ blocks).
    case additive(Tensor)
}

/// softmax(Q·Kᵀ·scale + masks)·V per head, for `query` [B, Lq, H·D], `key` [B, Lk, H·D] and
/// `value` [B, Lk, H·Dv]; returns the output [B, Lq, H·Dv] and, with `returnWeights`, the post-softmax,
/// pre-dropout weights [B, H, Lq, Lk] (a constant: no gradient flows through them).
///
/// `keyPaddingMask` [B, Lk] is `true` for keys to ignore. `scale` defaults to 1/√D. `dropout` (> 0 in
/// training only) zeroes weights with that probability, drawing from `generator`, and rescales the rest.
/// A query whose keys are all masked gets zero weights, zero output and zero gradient; PyTorch gives NaN
/// there (pytorch#41508).
public func scaledDotProductAttention(
    query: Tensor, key: Tensor, value: Tensor, heads: Int,
    keyPaddingMask: Mask? = nil, attentionMask: AttentionMask? = nil, scale: Float? = nil,
    dropout: Float = 0, generator: inout RandomGenerator, returnWeights: Bool = false
) -> (output: Tensor, weights: Tensor?) {
    for (name, t) in [("query", query), ("key", key), ("value", value)] {
        precondition(t.rank == 3, "scaledDotProductAttention: \(name) must be [B, L, H·D], got shape \(t.shape)")
    }
    precondition(heads > 0 && query.shape[2] % heads == 0 && value.shape[2] % heads == 0,
                 "scaledDotProductAttention: \(heads) heads do not divide query \(query.shape) and value \(value.shape)")
    precondition(key.shape[2] == query.shape[2] && key.shape[0] == query.shape[0],
                 "scaledDotProductAttention: query \(query.shape) and key \(key.shape) differ in batch or width")
    precondition(value.shape[0] == key.shape[0] && value.shape[1] == key.shape[1],
                 "scaledDotProductAttention: key \(key.shape) and value \(value.shape) differ in batch or length")
    return attention(
        inputs: [query, key, value], q: HeadBlock(input: 0, column: 0), k: HeadBlock(input: 1, column: 0),
        v: HeadBlock(input: 2, column: 0), heads: heads, headDim: query.shape[2] / heads,
        valueDim: value.shape[2] / heads, keyPaddingMask: keyPaddingMask, attentionMask: attentionMask,
        scale: scale, dropout: dropout, generator: &generator, returnWeights: returnWeights)
}

/// `scaledDotProductAttention(query:key:value:…)` drawing dropout from `Random.generator`.
public func scaledDotProductAttention(
    query: Tensor, key: Tensor, value: Tensor, heads: Int,
    keyPaddingMask: Mask? = nil, attentionMask: AttentionMask? = nil, scale: Float? = nil,
    dropout: Float = 0, returnWeights: Bool = false
) -> (output: Tensor, weights: Tensor?) {
    scaledDotProductAttention(
        query: query, key: key, value: value, heads: heads, keyPaddingMask: keyPaddingMask,
        attentionMask: attentionMask, scale: scale, dropout: dropout, generator: &Random.generator,
        returnWeights: returnWeights)
}

/// Self-attention over one packed projection `qkv` [B, L, 3E] whose columns are queries, keys and values
/// (E = H·D each), as produced by a single GEMM with a [3E, E] in-projection weight. Read in place, and its
/// gradient is one [B, L, 3E] tensor: no slicing copies either way. Otherwise as
/// `scaledDotProductAttention(query:key:value:…)`.
public func scaledDotProductAttention(
    packedQKV qkv: Tensor, heads: Int,
    keyPaddingMask: Mask? = nil, attentionMask: AttentionMask? = nil, scale: Float? = nil,
    dropout: Float = 0, generator: inout RandomGenerator, returnWeights: Bool = false
) -> (output: Tensor, weights: Tensor?) {
    precondition(qkv.rank == 3 && qkv.shape[2] % (3 * max(heads, 1)) == 0 && heads > 0,
                 "scaledDotProductAttention: packedQKV must be [B, L, 3·H·D] for \(heads) heads, got shape \(qkv.shape)")
    let e = qkv.shape[2] / 3
    return attention(
        inputs: [qkv], q: HeadBlock(input: 0, column: 0), k: HeadBlock(input: 0, column: e),
        v: HeadBlock(input: 0, column: 2 * e), heads: heads, headDim: e / heads, valueDim: e / heads,
        keyPaddingMask: keyPaddingMask, attentionMask: attentionMask, scale: scale, dropout: dropout,
        generator: &generator, returnWeights: returnWeights)
}

/// Attention of `query` [B, Lq, E] over one packed key/value projection `keyValue` [B, Lk, 2E] (keys in
/// columns 0..<E, values in E..<2E), read in place with a single [B, Lk, 2E] gradient. Otherwise as
/// `scaledDotProductAttention(query:key:value:…)`.
public func scaledDotProductAttention(
    query: Tensor, packedKeyValue keyValue: Tensor, heads: Int,
    keyPaddingMask: Mask? = nil, attentionMask: AttentionMask? = nil, scale: Float? = nil,
    dropout: Float = 0, generator: inout RandomGenerator, returnWeights: Bool = false
) -> (output: Tensor, weights: Tensor?) {
    precondition(query.rank == 3 && heads > 0 && query.shape[2] % heads == 0,
                 "scaledDotProductAttention: query must be [B, Lq, H·D] for \(heads) heads, got shape \(query.shape)")
    precondition(keyValue.rank == 3 && keyValue.shape[0] == query.shape[0] && keyValue.shape[2] == 2 * query.shape[2],
                 "scaledDotProductAttention: packedKeyValue must be [B, Lk, 2E] for query \(query.shape), got shape \(keyValue.shape)")
    let e = query.shape[2]
    return attention(
        inputs: [query, keyValue], q: HeadBlock(input: 0, column: 0), k: HeadBlock(input: 1, column: 0),
        v: HeadBlock(input: 1, column: e), heads: heads, headDim: e / heads, valueDim: e / heads,
        keyPaddingMask: keyPaddingMask, attentionMask: attentionMask, scale: scale, dropout: dropout,
        generator: &generator, returnWeights: returnWeights)
}

/// Where one of Q, K, V lives: the node input `input` ([B, L, width]), heads starting at column `column`.
private struct HeadBlock {
    let input: Int
    let column: Int
}

/// The shared kernel: forward over (batch, head) tasks, caching the weights (and dropout mask) for backward.
/// Within each input, the blocks that read it must tile its columns (the gradient is written, not summed).
private func attention(
    inputs: [Tensor], q: HeadBlock, k: HeadBlock, v: HeadBlock, heads h: Int, headDim d: Int, valueDim dv: Int,
    keyPaddingMask: Mask?, attentionMask: AttentionMask?, scale: Float?, dropout: Float,
    generator: inout RandomGenerator, returnWeights: Bool
) -> (output: Tensor, weights: Tensor?) {
    let (qt, kt, vt) = (inputs[q.input], inputs[k.input], inputs[v.input])
    let b = qt.shape[0], lq = qt.shape[1], lk = kt.shape[1]
    let (ldq, ldk, ldv) = (qt.shape[2], kt.shape[2], vt.shape[2])
    let (qc, kc, vc) = (q.column, k.column, v.column)
    let bh = b * h, lqk = lq * lk, ldo = h * dv
    let alpha = scale ?? 1 / Float(d).squareRoot()
    precondition(dropout >= 0 && dropout <= 1, "scaledDotProductAttention: dropout \(dropout) outside [0, 1]")

    // Masks as additive biases: key padding per batch item [B, Lk]; attention mask per task or shared.
    let paddingBias = keyPaddingMask.map { m -> Tensor in
        precondition(m.shape == [b, lk], "scaledDotProductAttention: keyPaddingMask \(m.shape) for key \(kt.shape) (expected [\(b), \(lk)])")
        return Tensor(shape: m.shape, m.values.map { $0 ? -.infinity : 0 })
    }
    let maskBias: Tensor? = attentionMask.map { mask in
        let t: Tensor
        switch mask {
        case .bool(let m): t = Tensor(shape: m.shape, m.values.map { $0 ? -.infinity : 0 })
        case .additive(let a): t = a
        }
        precondition(t.shape == [lq, lk] || t.shape == [bh, lq, lk],
                     "scaledDotProductAttention: attentionMask \(t.shape) for query \(qt.shape) and key \(kt.shape) (expected [\(lq), \(lk)] or [\(bh), \(lq), \(lk)])")
        return t
    }
    let maskStride = maskBias?.rank == 3 ? lqk : 0

    // Dropout keep-multipliers (0 or 1/(1−p)), drawn in order so a seed fixes them.
    let keep: Tensor? = dropout > 0 ? {
        let t = Tensor(uninitialized: [bh, lq, lk])
        let p = t.mutableData, kept: Float = dropout < 1 ? 1 / (1 - dropout) : 0
        for i in 0..<t.count { p[i] = generator.nextFloat() < dropout ? 0 : kept }
        return t
    }() : nil

    let recording = Tape.isRecording(inputs)
    let weights: Tensor? = recording || returnWeights ? Tensor(uninitialized: [b, h, lq, lk]) : nil
    let out = Tensor(uninitialized: [b, lq, ldo])
    let pq = qt.data + qc, pk = kt.data + kc, pv = vt.data + vc, po = out.mutableData
    let pw = weights?.mutableData, pkeep = keep?.data
    let ppad = paddingBias?.data, pmask = maskBias?.data

    BLAS.singleThreaded {
        Parallel.forEach(bh, grain: 1) { tasks in
            // Per-thread scratch: scores when the weights are not kept, dropped weights with dropout.
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * lqk)
            defer { scratch.deallocate() }
            for t in tasks {
                let bi = t / h, hi = t % h
                let s = pw.map { $0 + t * lqk } ?? scratch
                BLAS.sgemm(transA: false, transB: true, m: lq, n: lk, k: d, alpha: alpha,
                           a: pq + bi * lq * ldq + hi * d, lda: ldq, b: pk + bi * lk * ldk + hi * d, ldb: ldk,
                           c: s, ldc: lk)
                for i in 0..<lq {
                    maskedSoftmaxRow(s + i * lk, lk, ppad.map { $0 + bi * lk }, pmask.map { $0 + t * maskStride + i * lk })
                }
                var p = UnsafePointer(s)
                if let pkeep {
                    let dropped = scratch + lqk, m = pkeep + t * lqk
                    for j in 0..<lqk { dropped[j] = s[j] * m[j] }
                    p = UnsafePointer(dropped)
                }
                BLAS.sgemm(transA: false, transB: false, m: lq, n: dv, k: lk,
                           a: p, lda: lk, b: pv + bi * lk * ldv + hi * dv, ldb: ldv,
                           c: po + bi * lq * ldo + hi * dv, ldc: ldo)
            }
        }
    }
    let returned = returnWeights ? weights.map { Tensor(shape: $0.shape, storage: $0.storage) } : nil
    guard recording, let weights else { return (out, returned) }

    Tape.record(out, inputs: inputs) { g in
        let grads = inputs.map { $0.requiresGrad ? Tensor(uninitialized: $0.shape) : nil }
        let gq = grads[q.input].map { $0.mutableData + qc }
        let gk = grads[k.input].map { $0.mutableData + kc }
        let gv = grads[v.input].map { $0.mutableData + vc }
        let pg = g.data, pw = weights.data, pkeep = keep?.data
        let pq = qt.data + qc, pk = kt.data + kc, pv = vt.data + vc
        BLAS.singleThreaded {
            Parallel.forEach(bh, grain: 1) { tasks in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * lqk)
                defer { scratch.deallocate() }
                for t in tasks {
                    let bi = t / h, hi = t % h
                    let w = pw + t * lqk, go = pg + bi * lq * ldo + hi * dv
                    let dp = scratch, m = pkeep.map { $0 + t * lqk }
                    if let gv {
                        var p = w
                        if let m {
                            let dropped = scratch + lqk
                            for j in 0..<lqk { dropped[j] = w[j] * m[j] }
                            p = UnsafePointer(dropped)
                        }
                        // dV = Pᵀ·dO
                        BLAS.sgemm(transA: true, transB: false, m: lk, n: dv, k: lq,
                                   a: p, lda: lk, b: go, ldb: ldo, c: gv + bi * lk * ldv + hi * dv, ldc: ldv)
                    }
                    guard gq != nil || gk != nil else { continue }
                    // dP = dO·Vᵀ (through the dropout mask), then dS = P ⊙ (dP − rowsum(dP ⊙ P)).
                    BLAS.sgemm(transA: false, transB: true, m: lq, n: lk, k: dv,
                               a: go, lda: ldo, b: pv + bi * lk * ldv + hi * dv, ldb: ldv, c: dp, ldc: lk)
                    if let m { for j in 0..<lqk { dp[j] *= m[j] } }
                    for i in 0..<lq { softmaxBackwardRow(dp + i * lk, w + i * lk, lk) }
                    if let gq {  // dQ = dS·K·scale
                        BLAS.sgemm(transA: false, transB: false, m: lq, n: d, k: lk, alpha: alpha,
                                   a: dp, lda: lk, b: pk + bi * lk * ldk + hi * d, ldb: ldk,
                                   c: gq + bi * lq * ldq + hi * d, ldc: ldq)
                    }
                    if let gk {  // dK = dSᵀ·Q·scale
                        BLAS.sgemm(transA: true, transB: false, m: lk, n: d, k: lq, alpha: alpha,
                                   a: dp, lda: lk, b: pq + bi * lq * ldq + hi * d, ldb: ldq,
                                   c: gk + bi * lk * ldk + hi * d, ldc: ldk)
                    }
                }
            }
        }
        return grads
    }
    return (out, returned)
}

/// In place: adds the optional bias rows, then a numerically stable softmax; a row with no finite score
/// (every key masked) becomes all zeros.
@inline(__always)
private func maskedSoftmaxRow(
    _ row: UnsafeMutablePointer<Float>, _ n: Int, _ bias1: UnsafePointer<Float>?, _ bias2: UnsafePointer<Float>?
) {
    if let bias1 { for j in 0..<n { row[j] += bias1[j] } }
    if let bias2 { for j in 0..<n { row[j] += bias2[j] } }
    var m = -Float.infinity
    for j in 0..<n where row[j] > m { m = row[j] }
    guard m > -.infinity else {
        row.update(repeating: 0, count: n)
        return
    }
    var total: Float = 0
    for j in 0..<n {
        let e = Foundation.exp(row[j] - m)
        row[j] = e
        total += e
    }
    let inv = 1 / total
    for j in 0..<n { row[j] *= inv }
}

/// In place: `dp ← p ⊙ (dp − Σ dp ⊙ p)`, the softmax vector–Jacobian product for one row.
@inline(__always)
private func softmaxBackwardRow(_ dp: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, _ n: Int) {
    var dot: Float = 0
    for j in 0..<n { dot += dp[j] * p[j] }
    for j in 0..<n { dp[j] = p[j] * (dp[j] - dot) }
}
