import Benchmarks
import Tensors
import XCTest

/// The GEMM replay: the recorded calls made with every thread are replayed, those from single-threaded loops
/// set apart, and each replayed call can be timed alone.
final class GEMMReplayTests: XCTestCase {
    func testReplaysTheMultiThreadedCallsAndSetsTheOthersApart() {
        var rng = RandomGenerator(seed: 0)
        let a = Tensor.randn([64, 32], using: &rng), b = Tensor.randn([32, 48], using: &rng)
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = 2
        let recorder = GEMMRecorder()
        recorder.record {
            _ = matmul(a, b)
            _ = matmul(b, a, transposeA: true, transposeB: true)
            BLAS.singleThreaded { _ = matmul(a, b) }
        }
        let replay = GEMMReplay(recorder.calls, threads: 2)
        XCTAssertEqual(replay.calls.count, 2)
        XCTAssertEqual(replay.skipped.count, 1)
        XCTAssertEqual(replay.flops, 2 * (2 * 64 * 48 * 32))
        XCTAssertEqual(replay.calls[1].transA, true)
        replay.run()
        let times = replay.callMilliseconds(runs: 3)
        XCTAssertEqual(times.count, 2)
        XCTAssertTrue(times.allSatisfy { $0 > 0 && $0.isFinite }, "\(times)")
        XCTAssertEqual(GEMMReplay(recorder.calls, threads: 1).calls.count, 3, "with one thread every call is replayed")
    }
}
