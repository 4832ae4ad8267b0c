/// Matrix multiplication through `BLAS.sgemm`, 2-D and batched, with transposes as BLAS flags.
///
/// `a` is [..., M, K] ([..., K, M] with `transposeA`), `b` is [..., K, N] ([..., N, K] with `transposeB`).
/// Batch dimensions must match, or either side may be 2-D (shared across the batch, e.g. a weight).
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let out = gemm(a, b, transposeA: transposeA, transposeB: transposeB)
    guard Tape.isRecording(a, b) else { return out }
    return Tape.record(out, inputs: [a, b]) { g in
        var ga: Tensor?, gb: Tensor?
        if a.requiresGrad {
            ga = transposeA
                ? gemm(b, g, transposeA: transposeB, transposeB: true)
                : gemm(g, b, transposeB: !transposeB)
            ga = sumToShape(ga!, a.shape)
        }
        if b.requiresGrad {
            if b.rank == 2 && a.rank > 2 && !transposeA {
                // Shared weight: fold the batch into one GEMM instead of summing per-item products.
                let a2 = reshape(a, [-1, a.shape[a.rank - 1]]), g2 = reshape(g, [-1, g.shape[g.rank - 1]])
                gb = transposeB ? gemm(g2, a2, transposeA: true) : gemm(a2, g2, transposeA: true)
            } else {
                gb = transposeB
                    ? gemm(g, a, transposeA: true, transposeB: transposeA)
                    : gemm(a, g, transposeA: !transposeA)
                gb = sumToShape(gb!, b.shape)
            }
        }
        return [ga, gb]
    }
}

/// Products at or above this many multiply-adds per batch item use multi-threaded BLAS one at a time;
/// smaller ones run one per core with single-threaded BLAS (never both at once).
let gemmThreadedWork = 1 << 21

/// Forward GEMM kernel (not recorded).
func gemm(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul: needs rank ≥ 2, got shapes \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
    let ka = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
    let kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
    let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    precondition(ka == kb, "matmul: inner dimensions differ, shapes \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "")")
    let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
    precondition(batchA == batchB || batchA.isEmpty || batchB.isEmpty,
                 "matmul: batch dimensions differ, shapes \(a.shape) and \(b.shape)")
    let batchShape = batchA.isEmpty ? batchB : batchA
    let batch = Shape.count(batchShape)
    let out = Tensor(uninitialized: batchShape + [m, n])
    let lda = a.shape[a.rank - 1], ldb = b.shape[b.rank - 1]
    let pa = a.data, pb = b.data, pc = out.mutableData
    if batch == 1 || (batchB.isEmpty && !transposeA) {
        // One GEMM: a single matrix, or the batch folded into M against a shared right-hand side.
        BLAS.sgemm(transA: transposeA, transB: transposeB, m: m * batch, n: n, k: ka,
                   a: pa, lda: lda, b: pb, ldb: ldb, c: pc, ldc: n)
        return out
    }
    let strideA = batchA.isEmpty ? 0 : m * ka, strideB = batchB.isEmpty ? 0 : n * ka
    let item = { (i: Int) in
        BLAS.sgemm(transA: transposeA, transB: transposeB, m: m, n: n, k: ka,
                   a: pa + i * strideA, lda: lda, b: pb + i * strideB, ldb: ldb, c: pc + i * m * n, ldc: n)
    }
    if m * n * ka >= gemmThreadedWork {
        for i in 0..<batch { item(i) }
    } else {
        BLAS.singleThreaded { Parallel.forEach(batch, grain: 1) { r in for i in r { item(i) } } }
    }
    return out
}
