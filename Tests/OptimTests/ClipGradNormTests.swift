import Optim
import Tensors
import TestSupport
import XCTest

/// clipGradNorm against torch.nn.utils.clip_grad_norm_ (tools/fixtures/fx_optim.py).
final class ClipGradNormTests: XCTestCase {
    func testNormsAndClippedGradientsMatchPyTorch() throws {
        let fx = try Fixture.load("clip_grad_norm")
        for (tag, type) in [("l2", NormType.l2), ("l1", .l1), ("inf", .infinity)] {
            var grads = entries(fx, "grad.").mapValues { $0.copy() }
            let norm = try clipGradNorm(&grads, maxNorm: 1, normType: type)
            XCTAssertEqual(norm, fx.tensor("norm.\(tag)").item, accuracy: 1e-6 * norm, tag)
            XCTAssertGreaterThan(norm, 1, "\(tag): the fixture must actually clip")
            for (key, expected) in entries(fx, "clipped.\(tag).") {
                assertClose(grads[key]!, expected, rtol: 1e-6, atol: 0, "\(tag) \(key)")
            }
        }
    }

    func testBelowMaxNormLeavesGradientsUntouched() throws {
        let fx = try Fixture.load("clip_grad_norm")
        var grads = entries(fx, "grad.").mapValues { $0.copy() }
        let norm = try clipGradNorm(&grads, maxNorm: 100)
        XCTAssertEqual(norm, fx.tensor("norm.l2").item, accuracy: 1e-6 * norm)
        for (key, g) in entries(fx, "grad.") { XCTAssertEqual(grads[key]!.scalars, g.scalars, key) }
    }

    func testNonFiniteNormBehavesAsPyTorch() throws {
        let fx = try Fixture.load("clip_grad_norm_nonfinite")
        for tag in ["inf", "nan"] {
            var grads = ["g": fx.tensor("grad.\(tag)").copy()]
            let norm = try clipGradNorm(&grads, maxNorm: 1)
            let expectedNorm = fx.tensor("norm.\(tag)").item
            XCTAssertTrue(norm == expectedNorm || (norm.isNaN && expectedNorm.isNaN), "\(tag): norm \(norm), torch \(expectedNorm)")
            let (got, want) = (grads["g"]!.scalars, fx.tensor("clipped.\(tag)").scalars)
            for (a, b) in zip(got, want) { XCTAssertTrue(a == b || (a.isNaN && b.isNaN), "\(tag): \(got) vs torch \(want)") }
        }
    }

    func testErrorIfNonFiniteThrowsAndKeepsGradients() throws {
        let fx = try Fixture.load("clip_grad_norm_nonfinite")
        for tag in ["inf", "nan"] {
            let original = fx.tensor("grad.\(tag)")
            var grads = ["g": original.copy()]
            XCTAssertThrowsError(try clipGradNorm(&grads, maxNorm: 1, errorIfNonFinite: true)) { error in
                guard case let .nonFiniteNorm(norm) = error as? GradientError else { return XCTFail("\(error)") }
                XCTAssertFalse(norm.isFinite)
                XCTAssertTrue("\(error)".contains("errorIfNonFinite: false"), "\(error)")
            }
            XCTAssertEqual(grads["g"]!.scalars.map(\.bitPattern), original.scalars.map(\.bitPattern), tag)
        }
        var finite = ["g": Tensor(shape: [2], [3, 4])]
        XCTAssertEqual(try clipGradNorm(&finite, maxNorm: 1, errorIfNonFinite: true), 5)
    }

    func testSharedGradientStorageIsScaledOnce() throws {
        let g = Tensor(shape: [2], [3, 4])
        var grads = ["a": g, "b": g]  // the tape may hand the same tensor to two parameters
        let norm = try clipGradNorm(&grads, maxNorm: 1)
        XCTAssertEqual(norm, Float(50).squareRoot(), accuracy: 1e-5)
        let c = 1 / (norm + 1e-6) * 1
        XCTAssertEqual(g.scalars, [3 * c, 4 * c])
    }

    func testEmptyAndLargeGradients() throws {
        var none: [String: Tensor] = [:]
        XCTAssertEqual(try clipGradNorm(&none, maxNorm: 1), 0)
        var rng = RandomGenerator(seed: 9)
        let big = Tensor.randn([300_001], using: &rng)
        var reference = 0.0, maxAbs: Float = 0
        for i in 0..<big.count { reference += Double(big.data[i]) * Double(big.data[i]); maxAbs = max(maxAbs, abs(big.data[i])) }
        var grads = ["w": big.copy(), "b": Tensor(shape: [3], [1, -1, 2])]
        reference += 6
        let norm = try clipGradNorm(&grads, maxNorm: 2)
        XCTAssertEqual(Double(norm), reference.squareRoot(), accuracy: 1e-6 * reference.squareRoot())
        XCTAssertEqual(grads["w"]!.data[7], big.data[7] * (1 / (norm + 1e-6) * 2))
        var again = ["w": big.copy()]
        XCTAssertEqual(try clipGradNorm(&again, maxNorm: 1e9, normType: .infinity), maxAbs)
    }
}
