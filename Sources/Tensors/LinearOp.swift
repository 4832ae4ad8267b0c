import Foundation
/// The fused affine op `y = x · Wᵀ + b` (torch.nn.functional.linear): bias written into the output
/// first, then one GEMM with β = 1 and the weight transposed by BLAS flag.
/// `x` is [..., in], `weight` [out, in], `bias` [out].
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    linear(x, weight: weight, bias: bias, rows: 0..<(weight.rank == 2 ? weight.shape[0] : 0))
}

/// `linear` through the output rows `rows` of `weight` and `bias` only (`x · W[rows]ᵀ + b[rows]`), read in
/// place — e.g. the query or key/value block of an attention in-projection — with no slicing copy. The
/// weight and bias gradients have their full shapes, zero outside `rows`.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, rows: Range<Int>) -> Tensor {
    precondition(weight.rank == 2 && x.rank >= 1 && x.shape[x.rank - 1] == weight.shape[1],
                 "linear: input \(x.shape) and weight \(weight.shape) (expected input [..., \(weight.shape.last ?? 0)])")
    if let bias { precondition(bias.shape == [weight.shape[0]], "linear: bias \(bias.shape) for weight \(weight.shape)") }
    precondition(rows.lowerBound >= 0 && rows.upperBound <= weight.shape[0],
                 "linear: rows \(rows) out of range for weight \(weight.shape)")
    let (inDim, outDim, first) = (weight.shape[1], rows.count, rows.lowerBound)
    let n = x.count / max(inDim, 1)
    let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [outDim])
    let o = out.mutableData
    if let bias {
        let b = bias.data + first
        Parallel.forEach(n, grain: max(1, 16_384 / max(outDim, 1))) { r in
            for i in r { (o + i * outDim).update(from: b, count: outDim) }
        }
    }
    BLAS.sgemm(transA: false, transB: true, m: n, n: outDim, k: inDim, a: x.data, lda: inDim,
               b: weight.data + first * inDim, ldb: inDim, beta: bias == nil ? 0 : 1, c: o, ldc: outDim)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    guard Tape.isRecording(inputs) else { return out }
    let whole = rows.count == weight.shape[0]
    return Tape.record(out, inputs: inputs) { g in
        let pg = g.data
        var gx: Tensor?
        if x.requiresGrad {  // dx = g · W[rows]
            gx = Tensor(uninitialized: x.shape)
            BLAS.sgemm(transA: false, transB: false, m: n, n: inDim, k: outDim, a: pg, lda: outDim,
                       b: weight.data + first * inDim, ldb: inDim, c: gx!.mutableData, ldc: inDim)
        }
        var gw: Tensor?
        if weight.requiresGrad {  // dW[rows] = gᵀ · x, zero elsewhere
            let t = whole ? Tensor(uninitialized: weight.shape) : Tensor(zeros: weight.shape)
            BLAS.sgemm(transA: true, transB: false, m: outDim, n: inDim, k: n, a: pg, lda: outDim,
                       b: x.data, ldb: inDim, c: t.mutableData + first * inDim, ldc: inDim)
            gw = t
        }
        var grads: [Tensor?] = [gx, gw]
        if let bias {
            var gb: Tensor?
            if bias.requiresGrad {
                let s = sum(reshape(g, [n, outDim]), axes: [0])
                gb = whole ? s : Tensor(zeros: bias.shape)
                if !whole { (gb!.mutableData + first).update(from: s.data, count: outDim) }
            }
            grads.append(gb)
        }
        return grads
    }
}
