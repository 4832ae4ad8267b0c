import Optim
import Tensors
import TestSupport
import XCTest

/// Learning-rate schedules against a Python-computed fixture (tools/fixtures/fx_optim.py, itself checked
/// against torch's CosineAnnealingLR) and their closed-form landmarks.
final class LearningRateScheduleTests: XCTestCase {
    func testWarmupCosineMatchesFixture() throws {
        let expected = try Fixture.load("warmup_cosine").tensor("lr")
        let schedule = WarmupCosineSchedule(baseLearningRate: 3e-4, warmupSteps: 5, totalSteps: 20, minLearningRate: 1e-5)
        let got = Tensor(shape: [expected.count], (0..<expected.count).map { schedule.learningRate(at: $0) })
        assertClose(got, expected, rtol: 1e-6, atol: 0, "warmup-cosine learning rates")
    }

    func testWarmupCosineLandmarks() {
        let s = WarmupCosineSchedule(baseLearningRate: 1, warmupSteps: 10, totalSteps: 110)
        XCTAssertEqual(s.learningRate(at: 0), 0, "warmup starts from 0")
        XCTAssertEqual(s.learningRate(at: 5), 0.5)
        XCTAssertEqual(s.learningRate(at: 10), 1, "peak at the end of warmup")
        XCTAssertEqual(s.learningRate(at: 60), 0.5, accuracy: 1e-7, "half way down the cosine")
        XCTAssertEqual(s.learningRate(at: 110), 0, accuracy: 1e-7)
        XCTAssertEqual(s.learningRate(at: 500), 0, accuracy: 1e-7, "stays at the minimum after totalSteps")
        let noWarmup = WarmupCosineSchedule(baseLearningRate: 2, warmupSteps: 0, totalSteps: 4, minLearningRate: 1)
        XCTAssertEqual(noWarmup.learningRate(at: 0), 2)
        XCTAssertEqual(noWarmup.learningRate(at: 2), 1.5, accuracy: 1e-7)
        XCTAssertEqual(noWarmup.learningRate(at: 4), 1)
    }

    func testConstantSchedule() {
        let s: LearningRateSchedule = ConstantSchedule(3e-4)
        XCTAssertEqual([0, 1, 1000].map { s.learningRate(at: $0) }, [3e-4, 3e-4, 3e-4])
    }
}
