import Benchmarks
import XCTest

/// The seed workload's FLOP counts are the guide's (15.39 GFLOP of matmuls per forward, ≈ 43.5 per training
/// step at B 32, T 32 with padding counted, as PyTorch runs it); the timing helpers' medians; the memory reader.
final class SeedWorkloadTests: XCTestCase {
    func testFLOPsAtTheSeedShapesAreTheGuides() {
        let workload = SeedWorkload(batchSize: 32, textLength: 32)
        XCTAssertEqual(workload.forwardFLOPs() / 1e9, 15.39, accuracy: 0.005)
        XCTAssertEqual(workload.trainingFLOPs() / 1e9, 43.5, accuracy: 0.1)
        XCTAssertLessThan(workload.forwardFLOPs(unpadded: true), workload.forwardFLOPs(), "padded text positions are not executed")
        XCTAssertTrue(workload.lengths.allSatisfy { (8...32).contains($0) })
        XCTAssertEqual(workload.peerInputs()["text_lengths"]?.scalars, workload.lengths.map(Float.init))
    }

    func testMediansAndMemory() {
        XCTAssertEqual(Timing.median([3, 1, 2]), 2)
        XCTAssertEqual(Timing.median([4, 1, 3, 2]), 2.5)
        XCTAssertEqual(Timing.samples(warmups: 1, runs: 3) {}.count, 3)
        XCTAssertGreaterThan(ProcessMemory.residentKiB, 0)
        XCTAssertGreaterThanOrEqual(ProcessMemory.peakKiB, ProcessMemory.residentKiB)
    }
}
