/// Masked mean pooling over the sequence axis, fused: one forward pass, one backward pass.

/// Mean of `x` [B, L, D] over L, counting only positions where `paddingMask` [B, L] is false
/// (true = padding). A row with no valid position gives zeros (PyTorch's `sum / count.clamp(min: 1)`),
/// never NaN. A nil mask is the plain mean over L.
public func maskedMean(_ x: Tensor, paddingMask: Mask?) -> Tensor {
    precondition(x.rank == 3, "maskedMean: input must be [B, L, D], got \(x.shape)")
    let (batch, length, dim) = (x.shape[0], x.shape[1], x.shape[2])
    if let paddingMask {
        precondition(paddingMask.shape == [batch, length],
                     "maskedMean: mask shape \(paddingMask.shape) for input \(x.shape) (expected [\(batch), \(length)])")
    }
    let valid = paddingMask.map { $0.values.map { !$0 } } ?? [Bool](repeating: true, count: batch * length)
    let scale = (0..<batch).map { b in
        1 / Float(max(valid[(b * length)..<((b + 1) * length)].lazy.filter { $0 }.count, 1))
    }
    let out = Tensor(zeros: [batch, dim])
    let o = out.mutableData, p = x.data
    valid.withUnsafeBufferPointer { v in
        Parallel.forEach(batch, grain: max(1, 16_384 / max(length * dim, 1))) { range in
            for b in range {
                let dst = o + b * dim, s = scale[b]
                for l in 0..<length where v[b * length + l] {
                    let src = p + (b * length + l) * dim
                    for j in 0..<dim { dst[j] += src[j] }
                }
                for j in 0..<dim { dst[j] *= s }
            }
        }
    }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        let gx = Tensor(uninitialized: x.shape)
        let pgx = gx.mutableData, pg = g.data
        valid.withUnsafeBufferPointer { v in
            Parallel.forEach(batch * length, grain: max(1, 32_768 / max(dim, 1))) { range in
                for row in range {
                    let dst = pgx + row * dim, b = row / length
                    if v[row] {
                        let src = pg + b * dim, s = scale[b]
                        for j in 0..<dim { dst[j] = src[j] * s }
                    } else {
                        dst.update(repeating: 0, count: dim)
                    }
                }
            }
        }
        return [gx]
    }
}
