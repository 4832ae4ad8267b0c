/// Clamping: `clamp` (torch.clamp) and `relu6` (torch.nn.functional.relu6, i.e. hardtanh(0, 6)).
/// Their gradients differ at the bounds exactly as PyTorch's do.

/// `min(max(x, min), max)` element-wise; a nil bound is not applied. The gradient passes where
/// `min ≤ x ≤ max` (bounds included, as torch.clamp).
public func clamp(_ x: Tensor, min low: Float? = nil, max high: Float? = nil) -> Tensor {
    if let low, let high { precondition(low <= high, "clamp: min \(low) above max \(high) for input \(x.shape)") }
    let lo = low ?? -.infinity, hi = high ?? .infinity
    let out = mapUnary(x) { Swift.min(Swift.max($0, lo), hi) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [mapUnaryBackward(g, x, out) { x, _ in x >= lo && x <= hi ? 1 : 0 }] }
}

/// `min(max(x, 0), 6)`; the gradient is 1 strictly inside (0, 6) and 0 at and beyond both bounds
/// (PyTorch's hardtanh backward).
public func relu6(_ x: Tensor) -> Tensor {
    let out = mapUnary(x) { Swift.min(Swift.max($0, 0), 6) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [mapUnaryBackward(g, x, out) { x, _ in x > 0 && x < 6 ? 1 : 0 }] }
}
