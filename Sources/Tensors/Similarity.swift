/// L2 normalisation and cosine similarity, composed from the element-wise and reduction ops plus one
/// recorded L2-norm op whose gradient is 0 at a zero vector (as torch.linalg.vector_norm).

/// Euclidean norm along `axis`, kept as size 1; the gradient `g · x / ‖x‖` is 0 where ‖x‖ = 0.
func l2Norm(_ x: Tensor, axis: Int) -> Tensor {
    let out = Tape.withoutRecording { sqrt(sum(mul(x, x), axes: [axis], keepDims: true)) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        [mul(broadcastBinary(x, out, op: "l2Norm") { $1 == 0 ? 0 : $0 / $1 }, g)]
    }
}

/// `x / max(‖x‖₂, eps)` along `axis` (torch.nn.functional.normalize with p = 2).
public func l2Normalize(_ x: Tensor, axis: Int = -1, eps: Float = 1e-12) -> Tensor {
    let ax = Shape.axis(axis, rank: x.rank, op: "l2Normalize")
    return div(x, maximum(l2Norm(x, axis: ax), Tensor(eps)))
}

/// `Σ a·b / (max(‖a‖, eps) · max(‖b‖, eps))` along `axis` (torch.nn.functional.cosine_similarity): `a` and
/// `b` broadcast to a common shape first and `axis` counts in that shape; the axis is removed.
public func cosineSimilarity(_ a: Tensor, _ b: Tensor, axis: Int = -1, eps: Float = 1e-8) -> Tensor {
    let shape = Shape.broadcast(a.shape, b.shape, op: "cosineSimilarity")
    let ax = Shape.axis(axis, rank: shape.count, op: "cosineSimilarity")
    let a = a.shape == shape ? a : add(a, Tensor(zeros: shape))
    let b = b.shape == shape ? b : add(b, Tensor(zeros: shape))
    let na = maximum(l2Norm(a, axis: ax), Tensor(eps)), nb = maximum(l2Norm(b, axis: ax), Tensor(eps))
    return sum(mul(div(a, na), div(b, nb)), axes: [ax])
}
