import NN
import Optim
import Tensors
import TestSupport
import XCTest

/// SGD against torch.optim.SGD trajectories (tools/fixtures/fx_optim.py).
final class SGDTests: XCTestCase {
    func testNesterovWithWeightDecayMatchesPyTorch() throws {
        try checkTrajectory("sgd_nesterov") { SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true) }
    }

    func testDampenedMomentumMatchesPyTorch() throws {
        try checkTrajectory("sgd_dampening") { SGD(parameters: $0, learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01) }
    }

    func testPlainSGDMatchesPyTorch() throws {
        try checkTrajectory("sgd_plain") { SGD(parameters: $0, learningRate: 0.1) }
        XCTAssertTrue(SGD(parameters: TwoLayer(), learningRate: 0.1).stateDict().isEmpty, "no momentum, no state")
    }

    func testResumesFromCheckpoint() throws {
        try checkTrajectory("sgd_nesterov", resumeAfter: 4) { SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true) }
    }

    func testParametersWithoutGradientAreLeftAlone() {
        let model = TwoLayer()
        let before = model.second.weight.copy()
        let sgd = SGD(parameters: model, learningRate: 0.1, momentum: 0.9)
        sgd.step(["0.weight": Tensor(shape: [8, 4], repeating: 1)])
        XCTAssertEqual(model.second.weight.scalars, before.scalars)
        XCTAssertEqual(Set(sgd.stateDict().keys), ["momentum_buffer.0.weight"])
    }

    func testLoadStateDictNamesBadKeys() throws {
        let sgd = SGD(parameters: TwoLayer(), learningRate: 0.1, momentum: 0.9)
        XCTAssertThrowsError(try sgd.loadStateDict([
            "momentum_buffer.0.weight": Tensor(zeros: [4, 8]),
            "momentum_buffer.1.weight": Tensor(zeros: [8, 4]),
        ])) { error in
            guard let e = error as? OptimizerStateError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.unexpected, ["momentum_buffer.1.weight"])
            XCTAssertEqual(e.mismatched.map(\.key), ["momentum_buffer.0.weight"])
            XCTAssertTrue(e.description.contains("expected shape [8, 4], found [4, 8]"), e.description)
        }
        XCTAssertTrue(sgd.stateDict().isEmpty, "a failed load changes nothing")
    }
}
