import NN
import Optim
import Tensors
import TestSupport
import XCTest

/// Adam and AdamW against torch.optim trajectories (tools/fixtures/fx_optim.py) and their state dicts.
final class AdamTests: XCTestCase {
    func testAdamWithL2MatchesPyTorch() throws {
        try checkTrajectory("adam") { Adam(parameters: $0, learningRate: 0.01, weightDecay: 0.01) }
    }

    func testAdamWMatchesPyTorch() throws {
        try checkTrajectory("adamw") { AdamW(parameters: $0, learningRate: 0.01, weightDecay: 0.01) }
    }

    func testResumesFromCheckpoint() throws {
        try checkTrajectory("adam", resumeAfter: 3) { Adam(parameters: $0, learningRate: 0.01, weightDecay: 0.01) }
        try checkTrajectory("adamw", resumeAfter: 7) { AdamW(parameters: $0, learningRate: 0.01, weightDecay: 0.01) }
    }

    func testStateDictKeys() {
        let adam = AdamW(parameters: TwoLayer())
        XCTAssertTrue(adam.stateDict().isEmpty)
        adam.step(["2.bias": Tensor(shape: [3], [1, -2, 3])])
        let state = adam.stateDict()
        XCTAssertEqual(Set(state.keys), ["exp_avg.2.bias", "exp_avg_sq.2.bias", "step.2.bias"])
        XCTAssertEqual(state["step.2.bias"]?.item, 1)
        XCTAssertEqual(state["exp_avg.2.bias"]!.scalars, [1, -2, 3].map { (1 - Float(0.9)) * $0 })
    }

    func testLoadStateDictNamesEveryProblem() {
        let model = TwoLayer()
        let adam = Adam(parameters: model)
        let bad: [String: Tensor] = [
            "exp_avg.0.weight": Tensor(zeros: [8, 4]),  // exp_avg_sq.0.weight and step.0.weight missing
            "exp_avg.2.bias": Tensor(zeros: [3]), "exp_avg_sq.2.bias": Tensor(zeros: [4]), "step.2.bias": Tensor(2.5),
            "exp_avg.9.bias": Tensor(zeros: [3]),
        ]
        XCTAssertThrowsError(try adam.loadStateDict(bad)) { error in
            guard let e = error as? OptimizerStateError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.missing.sorted(), ["exp_avg_sq.0.weight", "step.0.weight"])
            XCTAssertEqual(e.unexpected, ["exp_avg.9.bias"])
            XCTAssertEqual(e.mismatched.map(\.key), ["exp_avg_sq.2.bias"])
            XCTAssertEqual(e.invalid.map(\.key), ["step.2.bias"])
            for word in ["missing keys", "unexpected keys", "expected shape [3], found [4]", "not a positive integer", "fix:"] {
                XCTAssertTrue(e.description.contains(word), "'\(word)' in \(e.description)")
            }
        }
        XCTAssertTrue(adam.stateDict().isEmpty, "a failed load changes nothing")
    }

    func testLoadedStateIsCopied() throws {
        let adam = Adam(parameters: TwoLayer())
        let m = Tensor(shape: [3], [1, 2, 3])
        try adam.loadStateDict(["exp_avg.2.bias": m, "exp_avg_sq.2.bias": Tensor(zeros: [3]), "step.2.bias": Tensor(4)])
        m.mutableData[0] = 100
        XCTAssertEqual(adam.stateDict()["exp_avg.2.bias"]?.scalars, [1, 2, 3])
        XCTAssertEqual(adam.stateDict()["step.2.bias"]?.item, 4)
    }

    /// A parameter large enough to be split across cores gives the closed-form AdamW update (Float64 reference).
    func testLargeParameterMatchesClosedForm() {
        final class Big: Module {
            let w: Tensor
            init(_ w: Tensor) { self.w = w; super.init(); register(parameter: "w", w) }
        }
        var rng = RandomGenerator(seed: 5)
        let n = 100_003
        let p0 = Tensor.randn([n], using: &rng), g = Tensor.randn([n], using: &rng)
        let model = Big(p0.copy())
        let opt = AdamW(parameters: model, learningRate: 0.01, weightDecay: 0.1)
        opt.step(["w": g])
        opt.step(["w": g])
        let (b1, b2, lr, wd) = (0.9, 0.999, 0.01, 0.1)
        var worst = 0.0
        for i in 0..<n {
            var p = Double(p0.data[i]), m = 0.0, v = 0.0
            let gi = Double(g.data[i])
            for t in 1...2 {
                p *= 1 - lr * wd
                m = b1 * m + (1 - b1) * gi
                v = b2 * v + (1 - b2) * gi * gi
                p -= lr / (1 - Foundation.pow(b1, Double(t))) * m / (v.squareRoot() / (1 - Foundation.pow(b2, Double(t))).squareRoot() + 1e-8)
            }
            worst = Swift.max(worst, abs(p - Double(model.w.data[i])) - 1e-5 * abs(p))
        }
        XCTAssertLessThan(worst, 1e-6, "|error| − 1e-5·|p|")
    }
}
