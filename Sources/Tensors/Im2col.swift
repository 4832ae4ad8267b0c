/// Sliding-window geometry over NCHW planes and the im2col / col2im kernels that turn a convolution into
/// GEMMs. Shared by `conv2d` and the pooling ops.

/// Sizes of a 2-D sliding window over an [N, C, H, W] input (PyTorch's floor-mode output size).
struct WindowGeometry {
    let batch, channels, height, width: Int
    let kh, kw, sh, sw, ph, pw: Int
    let outH, outW: Int

    init(_ op: String, input shape: [Int], kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)) {
        precondition(shape.count == 4, "\(op): input \(shape) must be [N, C, H, W]")
        precondition(kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0 && padding.0 >= 0 && padding.1 >= 0,
                     "\(op): kernel \(kernel), stride \(stride) must be positive and padding \(padding) non-negative")
        (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        (kh, kw, sh, sw, ph, pw) = (kernel.0, kernel.1, stride.0, stride.1, padding.0, padding.1)
        precondition(height + 2 * ph >= kh && width + 2 * pw >= kw,
                     "\(op): kernel \(kernel) larger than the padded input \(shape) with padding \(padding)")
        outH = (height + 2 * ph - kh) / sh + 1
        outW = (width + 2 * pw - kw) / sw + 1
    }

    var inPlane: Int { height * width }
    var outPlane: Int { outH * outW }
    /// Rows of the im2col matrix per input channel.
    var kernelArea: Int { kh * kw }

    /// Output rows `oh` whose input row `oh·sh − ph + ki` lies inside the image.
    @inline(__always) func rows(_ ki: Int) -> Range<Int> { Self.valid(ki, sh, ph, height, outH) }
    /// Output columns `ow` whose input column `ow·sw − pw + kj` lies inside the image.
    @inline(__always) func cols(_ kj: Int) -> Range<Int> { Self.valid(kj, sw, pw, width, outW) }

    /// Output positions `o` in `0..<outSize` with `0 ≤ o·s − p + k < inSize`.
    @inline(__always)
    static func valid(_ k: Int, _ s: Int, _ p: Int, _ inSize: Int, _ outSize: Int) -> Range<Int> {
        let lo = Swift.min(outSize, p - k <= 0 ? 0 : (p - k + s - 1) / s)
        let last = inSize - 1 + p - k
        let hi = Swift.max(lo, last < 0 ? 0 : Swift.min(outSize, last / s + 1))
        return lo..<hi
    }
}

/// Unfolds one image [C, H, W] into `col` [C·kh·kw, outH·outW] (row `(c·kh + ki)·kw + kj`), zeros for padding.
func im2col(_ x: UnsafePointer<Float>, _ geo: WindowGeometry, _ col: UnsafeMutablePointer<Float>) {
    let (h, w, ow) = (geo.height, geo.width, geo.outW)
    let l = geo.outPlane
    for c in 0..<geo.channels {
        let src = x + c * h * w
        for ki in 0..<geo.kh {
            let rows = geo.rows(ki)
            for kj in 0..<geo.kw {
                let cols = geo.cols(kj)
                let dst = col + ((c * geo.kh + ki) * geo.kw + kj) * l
                for oh in 0..<geo.outH {
                    let row = dst + oh * ow
                    guard rows.contains(oh) else { row.update(repeating: 0, count: ow); continue }
                    let base = (oh * geo.sh - geo.ph + ki) * w - geo.pw + kj
                    // Rows are short (the output width): plain loops beat memset/memcpy calls here.
                    for j in 0..<cols.lowerBound { row[j] = 0 }
                    if geo.sw == 1 {
                        for j in cols { row[j] = src[base + j] }
                    } else {
                        for j in cols { row[j] = src[base + j * geo.sw] }
                    }
                    for j in cols.upperBound..<ow { row[j] = 0 }
                }
            }
        }
    }
}

/// Folds `col` [C·kh·kw, outH·outW] back into one image [C, H, W], adding overlapping windows into `x`
/// (which the caller zeroes first). The adjoint of `im2col`.
func col2im(_ col: UnsafePointer<Float>, _ geo: WindowGeometry, _ x: UnsafeMutablePointer<Float>) {
    let (h, w, ow) = (geo.height, geo.width, geo.outW)
    let l = geo.outPlane
    for c in 0..<geo.channels {
        let dst = x + c * h * w
        for ki in 0..<geo.kh {
            let rows = geo.rows(ki)
            for kj in 0..<geo.kw {
                let cols = geo.cols(kj)
                let src = col + ((c * geo.kh + ki) * geo.kw + kj) * l
                for oh in rows {
                    let row = src + oh * ow
                    let base = (oh * geo.sh - geo.ph + ki) * w - geo.pw + kj
                    if geo.sw == 1 {
                        for j in cols { dst[base + j] += row[j] }
                    } else {
                        for j in cols { dst[base + j * geo.sw] += row[j] }
                    }
                }
            }
        }
    }
}
