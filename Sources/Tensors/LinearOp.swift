/// The fused affine op `y = x · Wᵀ + b` (torch.nn.functional.linear): bias written into the output
/// first, then one GEMM with β = 1 and the weight transposed by BLAS flag.
/// `x` is [..., in], `weight` [out, in], `bias` [out].
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(weight.rank == 2 && x.rank >= 1 && x.shape[x.rank - 1] == weight.shape[1],
                 "linear: input \(x.shape) and weight \(weight.shape) (expected input [..., \(weight.shape.last ?? 0)])")
    if let bias { precondition(bias.shape == [weight.shape[0]], "linear: bias \(bias.shape) for weight \(weight.shape)") }
    let (inDim, outDim) = (weight.shape[1], weight.shape[0])
    let rows = x.count / max(inDim, 1)
    let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [outDim])
    let o = out.mutableData
    if let bias {
        let b = bias.data
        Parallel.forEach(rows, grain: max(1, 16_384 / max(outDim, 1))) { r in
            for i in r { (o + i * outDim).update(from: b, count: outDim) }
        }
    }
    BLAS.sgemm(transA: false, transB: true, m: rows, n: outDim, k: inDim,
               a: x.data, lda: inDim, b: weight.data, ldb: inDim, beta: bias == nil ? 0 : 1, c: o, ldc: outDim)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    guard Tape.isRecording(inputs) else { return out }
    return Tape.record(out, inputs: inputs) { g in
        let g2 = reshape(g, [rows, outDim])
        var grads: [Tensor?] = [
            x.requiresGrad ? reshape(gemm(g2, weight), x.shape) : nil,
            weight.requiresGrad ? gemm(g2, reshape(x, [rows, inDim]), transposeA: true) : nil,
        ]
        if let bias { grads.append(bias.requiresGrad ? sum(g2, axes: [0]) : nil) }
        return grads
    }
}
