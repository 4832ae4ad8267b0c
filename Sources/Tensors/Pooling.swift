/// 2-D pooling over NCHW tensors (floor mode, no dilation): max, average and adaptive average pooling.
/// Every (image, channel) plane is independent, so planes run in parallel across cores.

/// Runs `body(plane)` for the N·C planes, split across cores when the work is large.
private func forEachPlane(_ planes: Int, work: Int, _ body: (Int) -> Void) {
    Parallel.forEach(planes, grain: Swift.max(1, 32_768 / Swift.max(work, 1))) { r in for p in r { body(p) } }
}

private func poolGeometry(_ op: String, _ x: Tensor, _ kernel: (Int, Int), _ stride: (Int, Int)?, _ padding: (Int, Int)) -> WindowGeometry {
    let geo = WindowGeometry(op, input: x.shape, kernel: kernel, stride: stride ?? kernel, padding: padding)
    precondition(2 * padding.0 <= kernel.0 && 2 * padding.1 <= kernel.1,
                 "\(op): padding \(padding) must be at most half the kernel \(kernel) for input \(x.shape)")
    return geo
}

/// Max pooling (torch.nn.functional.max_pool2d); `stride` defaults to `kernel`, padding counts as −∞.
/// The gradient goes to the first maximum of each window (PyTorch's argmax; NaN wins).
public func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
    let geo = poolGeometry("maxPool2d", x, kernel, stride, padding)
    let planes = geo.batch * geo.channels, (inP, outP) = (geo.inPlane, geo.outPlane)
    let out = Tensor(uninitialized: [geo.batch, geo.channels, geo.outH, geo.outW])
    let recording = Tape.isRecording(x)
    var argmax = [Int32](repeating: 0, count: recording ? planes * outP : 0)
    let px = x.data, po = out.mutableData
    argmax.withUnsafeMutableBufferPointer { am in
        let pa = recording ? am.baseAddress : nil  // an empty array still has a base address
        forEachPlane(planes, work: outP * geo.kernelArea) { p in
            let src = px + p * inP
            for oh in 0..<geo.outH {
                let h0 = Swift.max(0, oh * geo.sh - geo.ph), h1 = Swift.min(geo.height, oh * geo.sh - geo.ph + geo.kh)
                for ow in 0..<geo.outW {
                    let w0 = Swift.max(0, ow * geo.sw - geo.pw), w1 = Swift.min(geo.width, ow * geo.sw - geo.pw + geo.kw)
                    var best = -Float.infinity, at = h0 * geo.width + w0
                    for ih in h0..<h1 {
                        for iw in w0..<w1 {
                            let v = src[ih * geo.width + iw]
                            if v > best || v.isNaN { best = v; at = ih * geo.width + iw }
                        }
                    }
                    po[p * outP + oh * geo.outW + ow] = best
                    pa?[p * outP + oh * geo.outW + ow] = Int32(at)
                }
            }
        }
    }
    guard recording else { return out }
    return Tape.record(out, inputs: [x]) { g in
        let dx = Tensor(zeros: x.shape)
        let pg = g.data, pd = dx.mutableData
        argmax.withUnsafeBufferPointer { am in
            forEachPlane(planes, work: outP) { p in
                for i in 0..<outP { pd[p * inP + Int(am[p * outP + i])] += pg[p * outP + i] }
            }
        }
        return [dx]
    }
}

/// Average pooling (torch.nn.functional.avg_pool2d, `count_include_pad=True`): every window is divided by
/// kh·kw, padding counted as zeros. `stride` defaults to `kernel`.
public func avgPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
    let geo = poolGeometry("avgPool2d", x, kernel, stride, padding)
    let scale = 1 / Float(geo.kernelArea)
    return windowAverage(x, outH: geo.outH, outW: geo.outW) { oh, ow in
        let h0 = oh * geo.sh - geo.ph, w0 = ow * geo.sw - geo.pw
        return (Swift.max(0, h0)..<Swift.min(geo.height, h0 + geo.kh), Swift.max(0, w0)..<Swift.min(geo.width, w0 + geo.kw), scale)
    }
}

/// Adaptive average pooling (torch.nn.functional.adaptive_avg_pool2d): output cell `i` of `n` averages
/// input rows `⌊i·H/n⌋ ..< ⌈(i+1)·H/n⌉` (likewise for columns), so windows may overlap.
public func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int)) -> Tensor {
    precondition(x.rank == 4 && outputSize.0 > 0 && outputSize.1 > 0,
                 "adaptiveAvgPool2d: input \(x.shape) must be [N, C, H, W] and output size \(outputSize) positive")
    let (h, w) = (x.shape[2], x.shape[3])
    let (oh, ow) = outputSize
    return windowAverage(x, outH: oh, outW: ow) { i, j in
        let rows = (i * h / oh)..<((i + 1) * h + oh - 1) / oh
        let cols = (j * w / ow)..<((j + 1) * w + ow - 1) / ow
        return (rows, cols, 1 / Float(rows.count * cols.count))
    }
}

/// Shared kernel of the average poolings: output (oh, ow) is `scale · Σ x` over the input rows × columns
/// given by `window(oh, ow)`; backward spreads `scale · g` back over the same windows.
private func windowAverage(
    _ x: Tensor, outH: Int, outW: Int, _ window: @escaping (Int, Int) -> (Range<Int>, Range<Int>, Float)
) -> Tensor {
    let planes = x.shape[0] * x.shape[1], w = x.shape[3]
    let (inP, outP) = (x.shape[2] * w, outH * outW)
    let out = Tensor(uninitialized: [x.shape[0], x.shape[1], outH, outW])
    let px = x.data, po = out.mutableData
    forEachPlane(planes, work: inP + outP) { p in
        let src = px + p * inP
        for oh in 0..<outH {
            for ow in 0..<outW {
                let (rows, cols, scale) = window(oh, ow)
                var s: Float = 0
                for ih in rows { for iw in cols { s += src[ih * w + iw] } }
                po[p * outP + oh * outW + ow] = s * scale
            }
        }
    }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        let dx = Tensor(zeros: x.shape)
        let pg = g.data, pd = dx.mutableData
        forEachPlane(planes, work: inP + outP) { p in
            let dst = pd + p * inP
            for oh in 0..<outH {
                for ow in 0..<outW {
                    let (rows, cols, scale) = window(oh, ow)
                    let v = pg[p * outP + oh * outW + ow] * scale
                    for ih in rows { for iw in cols { dst[ih * w + iw] += v } }
                }
            }
        }
        return [dx]
    }
}
