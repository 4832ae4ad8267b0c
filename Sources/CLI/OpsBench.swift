import ArgumentParser
import Benchmarks
import Foundation
import Tensors

/// Engine kernels: GEMM through the engine vs the raw cblas_sgemm call, and the fused kernels at the seed shapes.
struct OpsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "GEMM vs raw sgemm, layerNorm, relu, softmax and fused attention medians at the seed shapes.")

    @Option(help: "Timed runs per measurement (median reported).")
    var runs = 20

    @Option(help: "Warm-up runs before timing.")
    var warmups = 5

    func run() {
        print("CrossModal engine benchmark — \(ProcessInfo.processInfo.activeProcessorCount) cores, BLAS threads \(BLAS.threads), median of \(runs) after \(warmups) warm-ups; BLAS: \(BLASKernels.summary)")
        var rng = RandomGenerator(seed: 0)
        print("\nGEMM (C = A·B, Float32)             raw sgemm        engine matmul    engine/raw: median of \(runs) interleaved pairs (bootstrap 95% interval)")
        for (m, k, n) in [(1600, 768, 768), (1024, 1024, 1024)] {
            let a = Tensor.randn([m, k], using: &rng), b = Tensor.randn([k, n], using: &rng)
            let c = Tensor(zeros: [m, n])
            let flops = 2.0 * Double(m * n * k)
            // Turn about, so the ratio compares the two in the same time windows.
            let times = PairedComparison.measure(pairs: runs, warmups: warmups, a: {
                Timing.milliseconds { BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: n, c: c.mutableData, ldc: n) }
            }, b: { Timing.milliseconds { _ = matmul(a, b) } })
            let (raw, engine, (low, high)) = (Timing.median(times.a), Timing.median(times.b), times.interval())
            print(String(format: "  %4d×%4d×%4d   %8.2f ms %6.1f GFLOP/s  %8.2f ms %6.1f GFLOP/s   %5.1f%% (%.1f–%.1f%%)",
                         m, k, n, raw, flops / raw / 1e6, engine, flops / engine / 1e6, 100 * times.medianRatio, 100 * low, 100 * high))
        }
        print("\nFused kernels at the seed shapes                        forward   forward+backward")
        let x = Tensor.randn([32, 50, 768], using: &rng)
        let gamma = Tensor(shape: [768], repeating: 1), beta = Tensor(zeros: [768])
        report("layerNorm [32, 50, 768]", forward: { _ = layerNorm(x, weight: gamma, bias: beta) },
               backward: { _ = valueAndGrad(at: [x, gamma, beta]) { t in sum(layerNorm(t[0], weight: t[1], bias: t[2])) } })
        report("relu [32, 50, 768]", forward: { _ = relu(x) }, backward: { _ = valueAndGrad(at: [x]) { t in sum(relu(t[0])) } })
        let scores = Tensor.randn([32, 8, 50, 32], using: &rng)
        report("softmax [32, 8, 50, 32]", forward: { _ = softmax(scores) },
               backward: { _ = valueAndGrad(at: [scores]) { t in sum(softmax(t[0])) } })
        // The seed's two attention directions: 8 heads of 96, keys and values packed as one [B, L, 2E] projection.
        let visual = Tensor.randn([32, 50, 768], using: &rng), text = Tensor.randn([32, 32, 768], using: &rng)
        let visualKV = Tensor.randn([32, 50, 1536], using: &rng), textKV = Tensor.randn([32, 32, 1536], using: &rng)
        let textMask = Mask.padding(lengths: (0..<32).map { _ in 8 + rng.int(below: 25) }, maxLength: 32)
        for (name, q, kv, mask) in [("attention v→t q[32,50,768] kv[32,32,1536] mask", visual, textKV, Optional(textMask)),
                                    ("attention t→v q[32,32,768] kv[32,50,1536]", text, visualKV, nil)] {
            report(name, forward: { _ = scaledDotProductAttention(query: q, packedKeyValue: kv, heads: 8, keyPaddingMask: mask, generator: &rng) },
                   backward: { _ = valueAndGrad(at: [q, kv]) { t in
                       sum(scaledDotProductAttention(query: t[0], packedKeyValue: t[1], heads: 8, keyPaddingMask: mask, generator: &rng).output)
                   } })
        }
    }

    /// Prints the medians of a kernel's forward and of its forward+backward.
    private func report(_ name: String, forward: () -> Void, backward: () -> Void) {
        let f = Timing.medianMilliseconds(warmups: warmups, runs: runs, forward)
        let b = Timing.medianMilliseconds(warmups: warmups, runs: runs, backward)
        print("  " + name.padding(toLength: 50, withPad: " ", startingAt: 0) + String(format: " %8.2f ms   %8.2f ms", f, b))
    }
}
