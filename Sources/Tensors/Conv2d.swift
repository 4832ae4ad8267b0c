/// 2-D convolution over NCHW tensors (torch.nn.functional.conv2d without dilation): im2col + one GEMM per
/// group, or a direct loop kernel for depthwise convolutions (groups == input channels).
///
/// `x` is [N, C, H, W], `weight` [O, C/groups, kh, kw], `bias` [O]; the output is [N, O, outH, outW] with
/// `outH = (H + 2·padding.0 − kh) / stride.0 + 1` (likewise for the width). Batch items run in parallel
/// across cores with single-threaded BLAS when there are enough of them; a single image uses threaded BLAS.
/// Backward recomputes the im2col matrix instead of caching it.
public func conv2d(
    _ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
    groups: Int = 1
) -> Tensor {
    precondition(weight.rank == 4, "conv2d: weight \(weight.shape) must be [O, C/groups, kh, kw] for input \(x.shape)")
    let geo = WindowGeometry("conv2d", input: x.shape, kernel: (weight.shape[2], weight.shape[3]), stride: stride,
                             padding: padding)
    let outC = weight.shape[0]
    precondition(groups > 0 && geo.channels % groups == 0 && outC % groups == 0 && weight.shape[1] == geo.channels / groups,
                 "conv2d: input \(x.shape) and weight \(weight.shape) do not fit groups = \(groups)")
    if let bias { precondition(bias.shape == [outC], "conv2d: bias \(bias.shape) for weight \(weight.shape)") }
    let conv = Conv(geo: geo, outC: outC, groups: groups)
    let out = Tensor(uninitialized: [geo.batch, outC, geo.outH, geo.outW])
    if conv.isDepthwise {
        conv.depthwiseForward(x.data, weight.data, bias?.data, out.mutableData)
    } else {
        conv.gemmForward(x.data, weight.data, bias?.data, out.mutableData)
    }
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    guard Tape.isRecording(inputs) else { return out }
    return Tape.record(out, inputs: inputs) { g in
        let dx = x.requiresGrad ? Tensor(zeros: x.shape) : nil
        let dw = weight.requiresGrad ? Tensor(zeros: weight.shape) : nil
        let db = bias?.requiresGrad == true ? Tensor(zeros: [outC]) : nil
        if conv.isDepthwise {
            conv.depthwiseBackward(g.data, x.data, weight.data, dx?.mutableData, dw?.mutableData, db?.mutableData)
        } else {
            conv.gemmBackward(g.data, x.data, weight.data, dx?.mutableData, dw?.mutableData, db?.mutableData)
        }
        return bias == nil ? [dx, dw] : [dx, dw, db]
    }
}

/// The kernels of one convolution's shape.
private struct Conv {
    let geo: WindowGeometry
    let outC, groups: Int

    var inPerGroup: Int { geo.channels / groups }
    var outPerGroup: Int { outC / groups }
    /// Rows of one group's im2col matrix (the GEMM's inner dimension).
    var colRows: Int { inPerGroup * geo.kernelArea }
    var isDepthwise: Bool { groups == geo.channels && groups > 1 }
    /// A 1×1, stride-1, unpadded convolution multiplies the image itself: no im2col.
    var isPointwise: Bool {
        geo.kh == 1 && geo.kw == 1 && geo.sh == 1 && geo.sw == 1 && geo.ph == 0 && geo.pw == 0
    }

    /// Runs `body(chunk, items)` over the batch split into `chunks` contiguous parts: in parallel with
    /// single-threaded BLAS when there are several, else in one call with threaded BLAS.
    func forEachChunk(_ chunks: Int, _ body: (Int, Range<Int>) -> Void) {
        let per = (geo.batch + chunks - 1) / Swift.max(chunks, 1)
        if chunks == 1 { body(0, 0..<geo.batch); return }
        BLAS.singleThreaded {
            Parallel.forEach(chunks, grain: 1) { r in
                for c in r { body(c, (c * per)..<Swift.min(geo.batch, (c + 1) * per)) }
            }
        }
    }

    /// One chunk per core when the batch fills the cores and each image is worth a thread (measured faster
    /// than threaded BLAS per image for [32, 32, 38, 38] → 32 channels), else one.
    var chunkCount: Int {
        let flopsPerItem = outC * geo.outPlane * colRows
        return geo.batch >= Parallel.cores && flopsPerItem >= 100_000 ? Parallel.cores : 1
    }

    // MARK: im2col + GEMM

    func gemmForward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?,
                     _ o: UnsafeMutablePointer<Float>) {
        let l = geo.outPlane, (og, k) = (outPerGroup, colRows)
        forEachChunk(chunkCount) { _, items in
            let buffer = isPointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: geo.channels * geo.kernelArea * l)
            defer { buffer?.deallocate() }
            for n in items {
                let xn = x + n * geo.channels * geo.inPlane, on = o + n * outC * l
                if let buffer { im2col(xn, geo, buffer) }
                let col = buffer.map { UnsafePointer($0) } ?? xn
                if let b { for c in 0..<outC { (on + c * l).update(repeating: b[c], count: l) } }
                for g in 0..<groups {
                    BLAS.sgemm(transA: false, transB: false, m: og, n: l, k: k, a: w + g * og * k, lda: k,
                               b: col + g * k * l, ldb: l, beta: b == nil ? 0 : 1, c: on + g * og * l, ldc: l)
                }
            }
        }
    }

    /// dW += gout · colᵀ, dcol = Wᵀ · gout folded back by col2im, dbias = Σ gout; weight and bias gradients
    /// accumulate per chunk and are summed in chunk order (deterministic).
    func gemmBackward(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                      _ dx: UnsafeMutablePointer<Float>?, _ dw: UnsafeMutablePointer<Float>?, _ db: UnsafeMutablePointer<Float>?) {
        let l = geo.outPlane, (og, k) = (outPerGroup, colRows)
        let chunks = chunkCount, wCount = outC * k
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * (wCount + outC))
        partial.initialize(repeating: 0, count: chunks * (wCount + outC))
        defer { partial.deallocate() }
        forEachChunk(chunks) { chunk, items in
            let pdw = partial + chunk * (wCount + outC), pdb = pdw + wCount
            let colCount = geo.channels * geo.kernelArea * l
            let buffer = isPointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: colCount)
            defer { buffer?.deallocate() }
            for n in items {
                let gn = gout + n * outC * l
                if db != nil {
                    for c in 0..<outC {
                        let row = gn + c * l
                        var s: Float = 0
                        for j in 0..<l { s += row[j] }
                        pdb[c] += s
                    }
                }
                if dw != nil {
                    let xn = x + n * geo.channels * geo.inPlane
                    if let buffer { im2col(xn, geo, buffer) }
                    let col = buffer.map { UnsafePointer($0) } ?? xn
                    for g in 0..<groups {
                        BLAS.sgemm(transA: false, transB: true, m: og, n: k, k: l, a: gn + g * og * l, lda: l,
                                   b: col + g * k * l, ldb: l, beta: 1, c: pdw + g * og * k, ldc: k)
                    }
                }
                if let dx {
                    let dxn = dx + n * geo.channels * geo.inPlane
                    let dcol = buffer ?? dxn
                    for g in 0..<groups {
                        BLAS.sgemm(transA: true, transB: false, m: k, n: l, k: og, a: w + g * og * k, lda: k,
                                   b: gn + g * og * l, ldb: l, beta: 0, c: dcol + g * k * l, ldc: l)
                    }
                    if let buffer { col2im(buffer, geo, dxn) }
                }
            }
        }
        for chunk in 0..<chunks {
            let pdw = partial + chunk * (wCount + outC), pdb = pdw + wCount
            if let dw { for i in 0..<wCount { dw[i] += pdw[i] } }
            if let db { for i in 0..<outC { db[i] += pdb[i] } }
        }
    }

    // MARK: depthwise (direct loops, parallel over input channels)

    /// Output channels per input channel (the depthwise channel multiplier).
    var multiplier: Int { outC / geo.channels }

    /// Runs `body(c)` for every input channel, split across cores when the work is large.
    func forEachChannel(_ body: (Int) -> Void) {
        let work = geo.batch * multiplier * geo.outPlane * geo.kernelArea
        Parallel.forEach(geo.channels, grain: Swift.max(1, 65_536 / Swift.max(work, 1))) { r in
            for c in r { body(c) }
        }
    }

    func depthwiseForward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?,
                          _ o: UnsafeMutablePointer<Float>) {
        let (l, ka, m) = (geo.outPlane, geo.kernelArea, multiplier)
        forEachChannel { c in
            for n in 0..<geo.batch {
                let src = x + (n * geo.channels + c) * geo.inPlane
                for j in 0..<m {
                    let oc = c * m + j
                    let dst = o + (n * outC + oc) * l, wk = w + oc * ka
                    dst.update(repeating: b?[oc] ?? 0, count: l)
                    for oh in 0..<geo.outH {
                        let row = dst + oh * geo.outW
                        for ki in 0..<geo.kh where geo.rows(ki).contains(oh) {
                            for kj in 0..<geo.kw {
                                let wv = wk[ki * geo.kw + kj]
                                let base = (oh * geo.sh - geo.ph + ki) * geo.width - geo.pw + kj
                                if geo.sw == 1 {
                                    for q in geo.cols(kj) { row[q] += wv * src[base + q] }
                                } else {
                                    for q in geo.cols(kj) { row[q] += wv * src[base + q * geo.sw] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Each input channel owns its dx plane and its output channels' weight and bias gradients, so the
    /// channel loop runs in parallel without partial buffers. Weight gradients accumulate element-wise into
    /// one row per kernel tap (vectorisable) and are summed once per plane.
    func depthwiseBackward(_ gout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                           _ dx: UnsafeMutablePointer<Float>?, _ dw: UnsafeMutablePointer<Float>?, _ db: UnsafeMutablePointer<Float>?) {
        let (l, ka, m, ow) = (geo.outPlane, geo.kernelArea, multiplier, geo.outW)
        forEachChannel { c in
            let taps = dw == nil ? nil : UnsafeMutablePointer<Float>.allocate(capacity: ka * ow)
            defer { taps?.deallocate() }
            for n in 0..<geo.batch {
                let xs = x + (n * geo.channels + c) * geo.inPlane
                let dxs = dx.map { $0 + (n * geo.channels + c) * geo.inPlane }
                for j in 0..<m {
                    let oc = c * m + j
                    let gs = gout + (n * outC + oc) * l, wk = w + oc * ka
                    if let db {
                        var s: Float = 0
                        for i in 0..<l { s += gs[i] }
                        db[oc] += s
                    }
                    taps?.update(repeating: 0, count: ka * ow)
                    for oh in 0..<geo.outH {
                        let grow = gs + oh * ow
                        for ki in 0..<geo.kh where geo.rows(ki).contains(oh) {
                            for kj in 0..<geo.kw {
                                let base = (oh * geo.sh - geo.ph + ki) * geo.width - geo.pw + kj
                                let cols = geo.cols(kj), s = geo.sw, tap = ki * geo.kw + kj
                                if let dxs {
                                    let wv = wk[tap]
                                    if s == 1 {
                                        for q in cols { dxs[base + q] += wv * grow[q] }
                                    } else {
                                        for q in cols { dxs[base + q * s] += wv * grow[q] }
                                    }
                                }
                                if let taps {
                                    let acc = taps + tap * ow
                                    if s == 1 {
                                        for q in cols { acc[q] += grow[q] * xs[base + q] }
                                    } else {
                                        for q in cols { acc[q] += grow[q] * xs[base + q * s] }
                                    }
                                }
                            }
                        }
                    }
                    if let taps, let dw {
                        for tap in 0..<ka {
                            var s: Float = 0
                            for q in 0..<ow { s += taps[tap * ow + q] }
                            dw[oc * ka + tap] += s
                        }
                    }
                }
            }
        }
    }
}
