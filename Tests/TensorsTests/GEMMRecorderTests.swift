import Tensors
import XCTest

/// The GEMM recorder: every `BLAS.sgemm` call made inside `record` with its shape, layout, β and thread
/// count, in order; nothing outside it.
final class GEMMRecorderTests: XCTestCase {
    func testRecordsEachCallsShapeLayoutAndThreads() {
        var rng = RandomGenerator(seed: 0)
        let x = Tensor.randn([6, 5], using: &rng), w = Tensor.randn([4, 5], using: &rng), b = Tensor.randn([4], using: &rng)
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = 2
        let recorder = GEMMRecorder()
        recorder.record {
            _ = linear(x, weight: w, bias: b)                        // x·Wᵀ onto the bias: β = 1
            _ = matmul(w, x, transposeB: true)                       // [4, 5]·[5, 6]
            BLAS.singleThreaded { _ = matmul(x, w, transposeB: true) }
        }
        _ = matmul(x, w, transposeB: true)
        let calls = recorder.calls
        XCTAssertEqual(calls.count, 3, "the matmul after record is not recorded")
        guard calls.count == 3 else { return }
        XCTAssertEqual([calls[0].transA, calls[0].transB], [false, true])
        XCTAssertEqual([calls[0].m, calls[0].n, calls[0].k, calls[0].lda, calls[0].ldb, calls[0].ldc], [6, 4, 5, 5, 5, 4])
        XCTAssertEqual(calls[0].beta, 1)
        XCTAssertEqual([calls[1].m, calls[1].n, calls[1].k], [4, 6, 5])
        XCTAssertEqual(calls[1].beta, 0)
        XCTAssertEqual(calls[1].flops, 2 * 4 * 6 * 5)
        XCTAssertEqual(calls.map(\.threads), [2, 2, 1])
    }
}
