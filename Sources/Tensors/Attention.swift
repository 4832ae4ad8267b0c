import Foundation

/// Fused multi-head scaled-dot-product attention over packed heads: head h of a [B, L, H·D] tensor is
/// its column block h·D ..< (h+1)·D, read and written in place by `BLAS.sgemm` leading dimensions, so
/// no permute copies are made. One (batch, head) pair per task, split across the cores.

/// Which query–key pairs may attend, besides the key padding mask, shaped [Lq, Lk] (shared by every batch
/// item and head) or [B·H, Lq, Lk], as PyTorch's `attn_mask`, or [H, Lq, Lk] (one per head, shared by every
/// batch item: the [B·H, Lq, Lk] mask that repeats it, without the copies). Masks are constants (no gradient).
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
///
/// With `queryLayout` (`keyLayout`) the queries (keys and values) are packed variable-length sequences
/// [N, H·D] (see `PackedLayout`): batch item b attends with its own rows only, and the output has the
/// queries' layout. Packed keys need no padding mask; attention masks and returned weights need both sides
/// padded.
public func scaledDotProductAttention(
    query: Tensor, key: Tensor, value: Tensor, heads: Int,
    queryLayout: PackedLayout? = nil, keyLayout: PackedLayout? = nil,
    keyPaddingMask: Mask? = nil, attentionMask: AttentionMask? = nil, scale: Float? = nil,
    dropout: Float = 0, generator: inout RandomGenerator, returnWeights: Bool = false
) -> (output: Tensor, weights: Tensor?) {
    let rows = AttentionRows(query: query, key: key, queryLayout: queryLayout, keyLayout: keyLayout)
    precondition(heads > 0 && query.shape[query.rank - 1] % heads == 0 && value.shape[value.rank - 1] % heads == 0,
                 "scaledDotProductAttention: \(heads) heads do not divide query \(query.shape) and value \(value.shape)")
    precondition(key.shape[key.rank - 1] == query.shape[query.rank - 1],
                 "scaledDotProductAttention: query \(query.shape) and key \(key.shape) differ in width")
    precondition(value.rank == key.rank && value.shape.dropLast() == key.shape.dropLast(),
                 "scaledDotProductAttention: key \(key.shape) and value \(value.shape) differ in batch or length")
    return attention(
        inputs: [query, key, value], q: HeadBlock(input: 0, column: 0), k: HeadBlock(input: 1, column: 0),
        v: HeadBlock(input: 2, column: 0), rows: rows, heads: heads, headDim: query.shape[query.rank - 1] / heads,
        valueDim: value.shape[value.rank - 1] / heads, keyPaddingMask: keyPaddingMask, attentionMask: attentionMask,
        scale: scale, dropout: dropout, generator: &generator, returnWeights: returnWeights)
}

/// `scaledDotProductAttention(query:key:value:…)` drawing dropout from `Random.generator`.
public func scaledDotProductAttention(
    query: Tensor, key: Tensor, value: Tensor, heads: Int,
    queryLayout: PackedLayout? = nil, keyLayout: PackedLayout? = nil,
    keyPaddingMask: Mask? = nil, attentionMask: AttentionMask? = nil, scale: Float? = nil,
    dropout: Float = 0, returnWeights: Bool = false
) -> (output: Tensor, weights: Tensor?) {
    scaledDotProductAttention(
        query: query, key: key, value: value, heads: heads, queryLayout: queryLayout, keyLayout: keyLayout,
        keyPaddingMask: keyPaddingMask,
        attentionMask: attentionMask, scale: scale, dropout: dropout, generator: &Random.generator,
        returnWeights: returnWeights)
}

/// Self-attention over one packed projection `qkv` [B, L, 3E] whose columns are queries, keys and values
/// (E = H·D each), as produced by a single GEMM with a [3E, E] in-projection weight. Read in place, and its
/// gradient is one [B, L, 3E] tensor: no slicing copies either way. With `layout`, `qkv` holds packed
/// variable-length sequences [N, 3E] and so does the output [N, E]. Otherwise as
/// `scaledDotProductAttention(query:key:value:…)`.
public func scaledDotProductAttention(
    packedQKV qkv: Tensor, heads: Int, layout: PackedLayout? = nil,
    keyPaddingMask: Mask? = nil, attentionMask: AttentionMask? = nil, scale: Float? = nil,
    dropout: Float = 0, generator: inout RandomGenerator, returnWeights: Bool = false
) -> (output: Tensor, weights: Tensor?) {
    precondition(qkv.rank == (layout == nil ? 3 : 2) && qkv.shape[qkv.rank - 1] % (3 * max(heads, 1)) == 0 && heads > 0,
                 "scaledDotProductAttention: packedQKV must be \(layout == nil ? "[B, L, 3·H·D]" : "[N, 3·H·D]") for \(heads) heads, got shape \(qkv.shape)")
    let e = qkv.shape[qkv.rank - 1] / 3
    return attention(
        inputs: [qkv], q: HeadBlock(input: 0, column: 0), k: HeadBlock(input: 0, column: e),
        v: HeadBlock(input: 0, column: 2 * e), rows: AttentionRows(query: qkv, key: qkv, queryLayout: layout, keyLayout: layout),
        heads: heads, headDim: e / heads, valueDim: e / heads,
        keyPaddingMask: keyPaddingMask, attentionMask: attentionMask, scale: scale, dropout: dropout,
        generator: &generator, returnWeights: returnWeights)
}

/// Attention of `query` [B, Lq, E] over one packed key/value projection `keyValue` [B, Lk, 2E] (keys in
/// columns 0..<E, values in E..<2E), read in place with a single [B, Lk, 2E] gradient. Otherwise (layouts
/// included) as `scaledDotProductAttention(query:key:value:…)`.
public func scaledDotProductAttention(
    query: Tensor, packedKeyValue keyValue: Tensor, heads: Int,
    queryLayout: PackedLayout? = nil, keyLayout: PackedLayout? = nil,
    keyPaddingMask: Mask? = nil, attentionMask: AttentionMask? = nil, scale: Float? = nil,
    dropout: Float = 0, generator: inout RandomGenerator, returnWeights: Bool = false
) -> (output: Tensor, weights: Tensor?) {
    let rows = AttentionRows(query: query, key: keyValue, queryLayout: queryLayout, keyLayout: keyLayout)
    let e = query.shape[query.rank - 1]
    precondition(heads > 0 && e % heads == 0,
                 "scaledDotProductAttention: query width of \(query.shape) is not divisible by \(heads) heads")
    precondition(keyValue.shape[keyValue.rank - 1] == 2 * e,
                 "scaledDotProductAttention: packedKeyValue must be [B, Lk, 2E] for query \(query.shape), got shape \(keyValue.shape)")
    return attention(
        inputs: [query, keyValue], q: HeadBlock(input: 0, column: 0), k: HeadBlock(input: 1, column: 0),
        v: HeadBlock(input: 1, column: e), rows: rows, heads: heads, headDim: e / heads, valueDim: e / heads,
        keyPaddingMask: keyPaddingMask, attentionMask: attentionMask, scale: scale, dropout: dropout,
        generator: &generator, returnWeights: returnWeights)
}

/// Where one of Q, K, V lives: the node input `input` ([B, L, width] or packed [N, width]), heads starting at
/// column `column`.
private struct HeadBlock {
    let input: Int
    let column: Int
}

/// Which rows batch item b's queries and keys occupy: `b·L ..< (b+1)·L` for a padded [B, L, width] input,
/// the layout's segment for a packed [N, width] one.
private struct AttentionRows {
    let batch: Int
    let queryLayout: PackedLayout?
    let keyLayout: PackedLayout?
    /// Padded lengths (0 for a packed side).
    let lq: Int, lk: Int

    init(query: Tensor, key: Tensor, queryLayout: PackedLayout?, keyLayout: PackedLayout?) {
        func check(_ t: Tensor, _ layout: PackedLayout?, _ name: String) -> (batch: Int, length: Int) {
            if let layout {
                precondition(t.rank == 2 && t.shape[0] == layout.rows,
                             "scaledDotProductAttention: packed \(name) must be [\(layout.rows), width] for its layout, got shape \(t.shape)")
                return (layout.batchSize, 0)
            }
            precondition(t.rank == 3, "scaledDotProductAttention: \(name) must be [B, L, H·D], got shape \(t.shape)")
            return (t.shape[0], t.shape[1])
        }
        let (bq, lq) = check(query, queryLayout, "query"), (bk, lk) = check(key, keyLayout, "key")
        precondition(bq == bk, "scaledDotProductAttention: query \(query.shape) and key \(key.shape) differ in batch size")
        (batch, self.queryLayout, self.keyLayout, self.lq, self.lk) = (bq, queryLayout, keyLayout, lq, lk)
    }

    var isPadded: Bool { queryLayout == nil && keyLayout == nil }
    @inline(__always) func queryStart(_ b: Int) -> Int { queryLayout.map { $0.offsets[b] } ?? b * lq }
    @inline(__always) func queryCount(_ b: Int) -> Int { queryLayout.map { $0.count(b) } ?? lq }
    @inline(__always) func keyStart(_ b: Int) -> Int { keyLayout.map { $0.offsets[b] } ?? b * lk }
    @inline(__always) func keyCount(_ b: Int) -> Int { keyLayout.map { $0.count(b) } ?? lk }
    /// Query rows of the output.
    var queryRows: Int { queryLayout?.rows ?? batch * lq }
}

/// The shared kernel: forward over (batch, head) tasks, caching the weights (and dropout mask) for backward.
/// Within each input, the blocks that read it must tile its columns (the gradient is written, not summed).
/// Task t = (b, h) keeps its Lq_b × Lk_b weights at `weightOffset[t]` (t·Lq·Lk when padded).
private func attention(
    inputs: [Tensor], q: HeadBlock, k: HeadBlock, v: HeadBlock, rows: AttentionRows, heads h: Int, headDim d: Int,
    valueDim dv: Int, keyPaddingMask: Mask?, attentionMask: AttentionMask?, scale: Float?, dropout: Float,
    generator: inout RandomGenerator, returnWeights: Bool
) -> (output: Tensor, weights: Tensor?) {
    let (qt, kt, vt) = (inputs[q.input], inputs[k.input], inputs[v.input])
    let (b, lq, lk) = (rows.batch, rows.lq, rows.lk)
    let (ldq, ldk, ldv) = (qt.shape[qt.rank - 1], kt.shape[kt.rank - 1], vt.shape[vt.rank - 1])
    let (qc, kc, vc) = (q.column, k.column, v.column)
    let bh = b * h, ldo = h * dv
    let alpha = scale ?? 1 / Float(d).squareRoot()
    precondition(dropout >= 0 && dropout <= 1, "scaledDotProductAttention: dropout \(dropout) outside [0, 1]")
    precondition(rows.isPadded || (attentionMask == nil && !returnWeights),
                 "scaledDotProductAttention: attentionMask and returnWeights need padded (not packed) query and key")
    precondition(rows.keyLayout == nil || keyPaddingMask == nil,
                 "scaledDotProductAttention: packed keys have no padding; pass keyPaddingMask only with padded keys")

    // Per task: where its weights start; the largest block sizes the per-thread scratch.
    var weightOffset = [Int](repeating: 0, count: bh + 1)
    var largest = 0
    for t in 0..<bh {
        let n = rows.queryCount(t / h) * rows.keyCount(t / h)
        weightOffset[t + 1] = weightOffset[t] + n
        largest = max(largest, n)
    }
    let totalWeights = weightOffset[bh]

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
        precondition(t.shape == [lq, lk] || t.shape == [bh, lq, lk] || t.shape == [h, lq, lk],
                     "scaledDotProductAttention: attentionMask \(t.shape) for query \(qt.shape) and key \(kt.shape) (expected [\(lq), \(lk)], [\(bh), \(lq), \(lk)] or [\(h), \(lq), \(lk)])")
        return t
    }
    // Task t = (b, h) reads mask block t (per task), t mod H (per head) or 0 (shared).
    let maskBlocks = maskBias?.rank == 3 ? maskBias!.shape[0] : 1

    // Dropout keep-multipliers (0 or 1/(1−p)), drawn in task order so a seed fixes them.
    let keep: Tensor? = dropout > 0 ? {
        let t = Tensor(uninitialized: [totalWeights])
        let p = t.mutableData, kept: Float = dropout < 1 ? 1 / (1 - dropout) : 0
        for i in 0..<t.count { p[i] = generator.nextFloat() < dropout ? 0 : kept }
        return t
    }() : nil

    let recording = Tape.isRecording(inputs)
    let weights: Tensor? = recording || returnWeights ? Tensor(uninitialized: rows.isPadded ? [b, h, lq, lk] : [totalWeights]) : nil
    let out = Tensor(uninitialized: rows.queryLayout == nil ? [b, lq, ldo] : [rows.queryRows, ldo])
    let pq = qt.data + qc, pk = kt.data + kc, pv = vt.data + vc, po = out.mutableData
    let pw = weights?.mutableData, pkeep = keep?.data
    let ppad = paddingBias?.data, pmask = maskBias?.data

    weightOffset.withUnsafeBufferPointer { wo in
        forEachTask(bh) { tasks in
            // Per-thread scratch: scores when the weights are not kept, dropped weights with dropout.
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * max(largest, 1))
            defer { scratch.deallocate() }
            for t in tasks {
                let bi = t / h, hi = t % h
                let (q0, nq, k0, nk) = (rows.queryStart(bi), rows.queryCount(bi), rows.keyStart(bi), rows.keyCount(bi))
                let n = nq * nk
                guard nq > 0 else { continue }
                let o = po + q0 * ldo + hi * dv
                guard nk > 0 else {  // no keys: zero output
                    for i in 0..<nq { (o + i * ldo).update(repeating: 0, count: dv) }
                    continue
                }
                let s = pw.map { $0 + wo[t] } ?? scratch
                BLAS.sgemm(transA: false, transB: true, m: nq, n: nk, k: d, alpha: alpha,
                           a: pq + q0 * ldq + hi * d, lda: ldq, b: pk + k0 * ldk + hi * d, ldb: ldk, c: s, ldc: nk)
                let (padRow, maskBlock) = (ppad.map { $0 + bi * lk }, pmask.map { $0 + (t % maskBlocks) * lq * lk })
                for i in 0..<nq { maskedSoftmaxRow(s + i * nk, nk, padRow, maskBlock.map { $0 + i * lk }) }
                var p = UnsafePointer(s)
                if let pkeep {
                    let dropped = scratch + largest, m = pkeep + wo[t]
                    for j in 0..<n { dropped[j] = s[j] * m[j] }
                    p = UnsafePointer(dropped)
                }
                BLAS.sgemm(transA: false, transB: false, m: nq, n: dv, k: nk,
                           a: p, lda: nk, b: pv + k0 * ldv + hi * dv, ldb: ldv, c: o, ldc: ldo)
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
        weightOffset.withUnsafeBufferPointer { wo in
            forEachTask(bh) { tasks in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * max(largest, 1))
                defer { scratch.deallocate() }
                for t in tasks {
                    let bi = t / h, hi = t % h
                    let (q0, nq, k0, nk) = (rows.queryStart(bi), rows.queryCount(bi), rows.keyStart(bi), rows.keyCount(bi))
                    let n = nq * nk
                    let gqt = gq.map { $0 + q0 * ldq + hi * d }, gkt = gk.map { $0 + k0 * ldk + hi * d }
                    let gvt = gv.map { $0 + k0 * ldv + hi * dv }
                    guard nq > 0 && nk > 0 else {  // nothing attended: zero gradients for this task's blocks
                        if let gqt { for i in 0..<nq { (gqt + i * ldq).update(repeating: 0, count: d) } }
                        if let gkt { for i in 0..<nk { (gkt + i * ldk).update(repeating: 0, count: d) } }
                        if let gvt { for i in 0..<nk { (gvt + i * ldv).update(repeating: 0, count: dv) } }
                        continue
                    }
                    let w = pw + wo[t], go = pg + q0 * ldo + hi * dv
                    let dp = scratch, m = pkeep.map { $0 + wo[t] }
                    if let gvt {
                        var p = w
                        if let m {
                            let dropped = scratch + largest
                            for j in 0..<n { dropped[j] = w[j] * m[j] }
                            p = UnsafePointer(dropped)
                        }
                        // dV = Pᵀ·dO
                        BLAS.sgemm(transA: true, transB: false, m: nk, n: dv, k: nq,
                                   a: p, lda: nk, b: go, ldb: ldo, c: gvt, ldc: ldv)
                    }
                    guard gqt != nil || gkt != nil else { continue }
                    // dP = dO·Vᵀ (through the dropout mask), then dS = P ⊙ (dP − rowsum(dP ⊙ P)).
                    BLAS.sgemm(transA: false, transB: true, m: nq, n: nk, k: dv,
                               a: go, lda: ldo, b: pv + k0 * ldv + hi * dv, ldb: ldv, c: dp, ldc: nk)
                    if let m { for j in 0..<n { dp[j] *= m[j] } }
                    for i in 0..<nq { softmaxBackwardRow(dp + i * nk, w + i * nk, nk) }
                    if let gqt {  // dQ = dS·K·scale
                        BLAS.sgemm(transA: false, transB: false, m: nq, n: d, k: nk, alpha: alpha,
                                   a: dp, lda: nk, b: pk + k0 * ldk + hi * d, ldb: ldk, c: gqt, ldc: ldq)
                    }
                    if let gkt {  // dK = dSᵀ·Q·scale
                        BLAS.sgemm(transA: true, transB: false, m: nk, n: d, k: nq, alpha: alpha,
                                   a: dp, lda: nk, b: pq + q0 * ldq + hi * d, ldb: ldq, c: gkt, ldc: ldk)
                    }
                }
            }
        }
        return grads
    }
    return (out, returned)
}

/// Runs the (batch, head) tasks split across the cores with single-threaded BLAS, or in order with
/// multi-threaded BLAS when there are fewer tasks than cores (never both at once).
private func forEachTask(_ count: Int, _ body: (Range<Int>) -> Void) {
    if count < Parallel.cores {
        body(0..<count)
    } else {
        BLAS.singleThreaded { Parallel.forEach(count, grain: 1, body) }
    }
}

/// In place: adds the optional bias rows, then a numerically stable softmax (vectorised max and exp); a row
/// with no finite score (every key masked) becomes all zeros.
@inline(__always)
private func maskedSoftmaxRow(
    _ row: UnsafeMutablePointer<Float>, _ n: Int, _ bias1: UnsafePointer<Float>?, _ bias2: UnsafePointer<Float>?
) {
    if let bias1 { for j in 0..<n { row[j] += bias1[j] } }
    if let bias2 { for j in 0..<n { row[j] += bias2[j] } }
    let m = Vector.max(row, n)
    guard m > -.infinity else {
        row.update(repeating: 0, count: n)
        return
    }
    let inv = 1 / Vector.expSubtracting(row, n, m)
    for j in 0..<n { row[j] *= inv }
}

/// In place: `dp ← p ⊙ (dp − Σ dp ⊙ p)`, the softmax vector–Jacobian product for one row.
@inline(__always)
private func softmaxBackwardRow(_ dp: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, _ n: Int) {
    let dot = Vector.sum(n, { Vector.load(dp, $0) * Vector.load(p, $0) }, { dp[$0] * p[$0] })
    for j in 0..<n { dp[j] = p[j] * (dp[j] - dot) }
}
