import Tensors

/// A workload's recorded matrix products (`GEMMRecorder`) run again on their own, each on buffers of its own
/// shapes, in the recorded order and with every BLAS thread. Its time is a floor under the workload's: whatever
/// the other ops cost, the workload cannot run its GEMM work faster than this. Calls that ran single-threaded
/// inside parallel loops (attention's per-(batch, head) products) are left out and counted apart, so the
/// floor stays a floor.
public final class GEMMReplay {
    /// The calls replayed (made with more than one BLAS thread, or with one when the workload had one).
    public let calls: [GEMMRecorder.Call]
    /// The recorded calls left out: made with one thread inside a parallel loop.
    public let skipped: [GEMMRecorder.Call]
    private let buffers: [(a: Tensor, b: Tensor, c: Tensor)]

    /// Splits `recorded` by thread count (calls with fewer threads than `threads` are skipped) and allocates
    /// every call's operands, filled with seeded normal values.
    public init(_ recorded: [GEMMRecorder.Call], threads: Int) {
        calls = recorded.filter { $0.threads >= threads }
        skipped = recorded.filter { $0.threads < threads }
        var rng = RandomGenerator(seed: 7)
        buffers = calls.map { call in
            let aRows = call.transA ? call.k : call.m, bRows = call.transB ? call.n : call.k
            return (Tensor.randn([aRows * call.lda], using: &rng), Tensor.randn([bRows * call.ldb], using: &rng),
                    Tensor(zeros: [call.m * call.ldc]))
        }
    }

    /// Multiply-add work of the replayed calls.
    public var flops: Double { calls.map(\.flops).reduce(0, +) }

    /// Runs every replayed call once.
    public func run() {
        for i in calls.indices { run(i) }
    }

    /// Median milliseconds of each replayed call run alone `runs` times in a row (after one warm-up).
    public func callMilliseconds(runs: Int = 9) -> [Double] {
        calls.indices.map { i in Timing.medianMilliseconds(warmups: 1, runs: runs) { run(i) } }
    }

    private func run(_ i: Int) {
        let (call, buffer) = (calls[i], buffers[i])
        BLAS.sgemm(transA: call.transA, transB: call.transB, m: call.m, n: call.n, k: call.k,
                   a: buffer.a.data, lda: call.lda, b: buffer.b.data, ldb: call.ldb,
                   beta: call.beta, c: buffer.c.mutableData, ldc: call.ldc)
    }
}
