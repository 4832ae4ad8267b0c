import NN
import Tensors
import TestSupport
import XCTest

/// LayerNorm against a PyTorch nn.LayerNorm state dict; Dropout modes; parameter-free activations.
final class NumericsLayersTests: XCTestCase {
    func testLayerNormLoadsPyTorchStateDictAndMatchesOutputAndGradients() throws {
        let fx = try Fixture.load("layer_norm_module")
        let ln = LayerNorm(8)
        XCTAssertEqual(ln.weight?.scalars, [Float](repeating: 1, count: 8))
        XCTAssertEqual(ln.bias?.scalars, [Float](repeating: 0, count: 8))
        let state = Dictionary(uniqueKeysWithValues: fx.filter { $0.key.hasPrefix("state.") }.map { (String($0.key.dropFirst(6)), $0.value) })
        XCTAssertEqual(state.keys.sorted(), ["bias", "weight"])
        try ln.loadStateDict(state)
        let x = fx.tensor("x"), gout = fx.tensor("gout")
        assertClose(ln(x), fx.tensor("out"), rtol: 1e-5, atol: 1e-5, "LayerNorm forward")
        let (_, grads) = valueAndGrad(ln) { m in sum(mul(m(x), gout)) }
        assertClose(try XCTUnwrap(grads["weight"]), fx.tensor("grad_weight"), rtol: 1e-4, atol: 1e-5, "weight grad")
        assertClose(try XCTUnwrap(grads["bias"]), fx.tensor("grad_bias"), rtol: 1e-4, atol: 1e-5, "bias grad")
        let (_, gx) = valueAndGrad(at: [x]) { v in sum(mul(ln(v[0]), gout)) }
        assertClose(gx[0], fx.tensor("grad_x"), rtol: 1e-4, atol: 1e-5, "input grad")
    }

    func testLayerNormWithoutAffineHasNoParameters() {
        let ln = LayerNorm(4, elementwiseAffine: false)
        XCTAssertTrue(ln.stateDict().isEmpty)
        let y = ln(Tensor(shape: [1, 4], [1, 2, 3, 4]))
        XCTAssertEqual(Double(sum(y).item), 0, accuracy: 1e-5)
    }

    func testDropoutIsIdentityInEvalModeAndActiveInTraining() {
        let drop = Dropout(0.5)
        let x = Tensor(shape: [1000], repeating: 1)
        XCTAssertTrue(drop.stateDict().isEmpty)
        Random.seed(1)
        let trained = drop(x)
        XCTAssertTrue(trained.scalars.contains(0) && trained.scalars.contains(2))
        drop.eval()
        XCTAssertTrue(drop(x) === x)
    }

    func testActivationModules() {
        let x = Tensor(shape: [4], [-2, -0.5, 0.5, 2])
        XCTAssertEqual(ReLU()(x).scalars, relu(x).scalars)
        XCTAssertEqual(GELU()(x).scalars, gelu(x).scalars)
        XCTAssertEqual(GELU(approximate: .tanh)(x).scalars, gelu(x, approximate: .tanh).scalars)
        XCTAssertEqual(Tanh()(x).scalars, tanh(x).scalars)
        XCTAssertTrue(ReLU().stateDict().isEmpty && GELU().stateDict().isEmpty && Tanh().stateDict().isEmpty)
    }
}
