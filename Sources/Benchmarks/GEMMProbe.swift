import Foundation
import Tensors

/// The machine's measured GEMM peak: the best median GFLOP/s of the raw `BLAS.sgemm` call over a few large
/// Float32 products (a short probe, ~1 s), the yardstick for "% of peak".
public enum GEMMProbe {
    public static let shapes = [(1024, 1024, 1024), (1600, 768, 768), (2048, 768, 2048)]

    public static func gflops(warmups: Int = 3, runs: Int = 9) -> Double {
        var rng = RandomGenerator(seed: 0)
        return shapes.map { m, k, n in
            let a = Tensor.randn([m, k], using: &rng), b = Tensor.randn([k, n], using: &rng), c = Tensor(zeros: [m, n])
            let ms = Timing.medianMilliseconds(warmups: warmups, runs: runs) {
                BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: n,
                           c: c.mutableData, ldc: n)
            }
            return 2 * Double(m * n * k) / ms / 1e6
        }.max() ?? 0
    }
}
