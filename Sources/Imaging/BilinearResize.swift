import Tensors

/// Bilinear resize of images as PyTorch's `F.interpolate(mode="bilinear", align_corners=False)` (no
/// anti-aliasing): `x` is [C, H, W] or [N, C, H, W]; the result has the last two sizes `height × width`.
/// A data-preparation op: not recorded on the tape.
public func resizeBilinear(_ x: Tensor, height: Int, width: Int) -> Tensor {
    precondition(x.rank == 3 || x.rank == 4, "resizeBilinear: expected [C, H, W] or [N, C, H, W], got \(x.shape)")
    precondition(height > 0 && width > 0, "resizeBilinear: output size must be positive, got \(height)×\(width)")
    let inH = x.shape[x.rank - 2], inW = x.shape[x.rank - 1], planes = x.count / (inH * inW)
    let out = Tensor(uninitialized: Array(x.shape.dropLast(2)) + [height, width])
    let rows = BilinearAxis(input: inH, output: height), columns = BilinearAxis(input: inW, output: width)
    let src = x.data, dst = out.mutableData
    Parallel.forEach(planes, grain: max(1, 65_536 / (height * width))) { range in
        for p in range {
            let s = src + p * inH * inW, d = dst + p * height * width
            for i in 0..<height {
                let r0 = s + rows.low[i] * inW, r1 = s + rows.high[i] * inW, wh = rows.weight[i]
                for j in 0..<width {
                    let c0 = columns.low[j], c1 = columns.high[j], ww = columns.weight[j]
                    let top = (1 - ww) * r0[c0] + ww * r0[c1], bottom = (1 - ww) * r1[c0] + ww * r1[c1]
                    d[i * width + j] = (1 - wh) * top + wh * bottom
                }
            }
        }
    }
    return out
}

extension RGBImage {
    /// The image resized to `width × height` by bilinear interpolation (as `resizeBilinear`), rounded to 8 bits.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        let resized = resizeBilinear(tensor(), height: newHeight, width: newWidth)
        let plane = newWidth * newHeight
        var bytes = [UInt8](repeating: 0, count: plane * 3)
        let values = resized.data
        for i in 0..<plane {
            for c in 0..<3 { bytes[3 * i + c] = UInt8((min(max(values[c * plane + i], 0), 1) * 255).rounded()) }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: bytes)
    }
}

/// Source indices and weights along one axis (PyTorch's half-pixel source coordinates, clamped at 0).
private struct BilinearAxis {
    var low: [Int] = [], high: [Int] = [], weight: [Float] = []

    init(input: Int, output: Int) {
        let scale = Float(input) / Float(output)
        for i in 0..<output {
            let source = max((Float(i) + 0.5) * scale - 0.5, 0)
            let l = min(Int(source), input - 1)
            low.append(l)
            high.append(min(l + 1, input - 1))
            weight.append(source - Float(l))
        }
    }
}
