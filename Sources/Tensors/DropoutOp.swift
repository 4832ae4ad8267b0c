/// Inverted dropout: each element is kept with probability `1 − p` and scaled by `1/(1 − p)`, otherwise
/// zeroed. The mask is drawn element by element from `generator` (same seed → same mask) and kept for
/// backward, which multiplies the gradient by the same mask. `p = 0` returns `x` itself; `p = 1` gives zeros.
public func dropout(_ x: Tensor, p: Float, using generator: inout RandomGenerator) -> Tensor {
    precondition(p >= 0 && p <= 1, "dropout: probability \(p) for input \(x.shape) must be in [0, 1]")
    if p == 0 { return x }
    let mask = Tensor(uninitialized: x.shape)  // 0 or 1/(1−p)
    let m = mask.mutableData
    let scale: Float = p == 1 ? 0 : 1 / (1 - p)
    for i in 0..<x.count { m[i] = generator.nextFloat() < p ? 0 : scale }
    let out = broadcastBinary(x, mask, op: "dropout", *)
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [broadcastBinary(g, mask, op: "dropout", *)] }
}

/// Dropout drawing its mask from the process-wide `Random.generator`.
public func dropout(_ x: Tensor, p: Float) -> Tensor { dropout(x, p: p, using: &Random.generator) }
