import Tensors

/// Per-channel normalisation `(x - mean[c]) / std[c]` of images [C, H, W] or [N, C, H, W] (as torchvision's
/// `Normalize`). A data-preparation op: not recorded on the tape.
public func normalizeChannels(_ x: Tensor, mean: [Float], std: [Float]) -> Tensor {
    precondition(x.rank == 3 || x.rank == 4, "normalizeChannels: expected [C, H, W] or [N, C, H, W], got \(x.shape)")
    let channels = x.shape[x.rank - 3]
    precondition(
        mean.count == channels && std.count == channels,
        "normalizeChannels: \(channels) channels in \(x.shape) need as many means and stds, got \(mean.count) and \(std.count)")
    precondition(std.allSatisfy { $0 > 0 }, "normalizeChannels: std must be positive, got \(std)")
    let plane = x.shape[x.rank - 2] * x.shape[x.rank - 1], planes = x.count / plane
    let out = Tensor(uninitialized: x.shape)
    let src = x.data, dst = out.mutableData
    for p in 0..<planes {
        let m = mean[p % channels], sd = std[p % channels]
        let s = src + p * plane, d = dst + p * plane
        for i in 0..<plane { d[i] = (s[i] - m) / sd }
    }
    return out
}
