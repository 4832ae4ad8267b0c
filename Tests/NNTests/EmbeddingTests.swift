import NN
import Tensors
import TestSupport
import XCTest

/// The Embedding layer against a PyTorch nn.Embedding(7, 5, padding_idx=2) state dict.
final class EmbeddingTests: XCTestCase {
    func testLoadsPyTorchStateDictAndMatchesOutputAndWeightGradient() throws {
        let fx = try Fixture.load("embedding_padding")
        let layer = Embedding(7, 5, paddingIndex: 2)
        try layer.loadStateDict(["weight": fx.tensor("weight")])
        let ids = fx.ints("ids"), shape = fx.tensor("ids").shape
        assertClose(layer(ids, shape: shape), fx.tensor("out"), "embedding output")
        let gout = fx.tensor("gout")
        let (_, grads) = valueAndGrad(layer) { m in sum(mul(m(ids, shape: shape), gout)) }
        let g = try XCTUnwrap(grads["weight"])
        assertClose(g, fx.tensor("grad_weight"), rtol: 1e-4, atol: 1e-5, "embedding weight gradient")
        XCTAssertEqual(Array(g.scalars[10..<15]), [0, 0, 0, 0, 0], "padding row gets no gradient")
    }

    func testInitIsSeededNormalWithZeroPaddingRow() {
        Random.seed(42)
        let a = Embedding(50, 8, paddingIndex: -1)
        Random.seed(42)
        let b = Embedding(50, 8, paddingIndex: -1)
        XCTAssertEqual(a.weight.scalars, b.weight.scalars)
        XCTAssertEqual(a.paddingIndex, 49)
        XCTAssertEqual(Array(a.weight.scalars[(49 * 8)...]), [Float](repeating: 0, count: 8))
        XCTAssertEqual(a.stateDict().keys.sorted(), ["weight"])
        let body = Array(a.weight.scalars[..<(49 * 8)])
        let mean = body.reduce(0, +) / Float(body.count)
        let variance = body.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(body.count)
        XCTAssertEqual(mean, 0, accuracy: 0.15)
        XCTAssertEqual(variance, 1, accuracy: 0.25)
    }

    func testOutputShapeAppendsDim() {
        let layer = Embedding(4, 3)
        XCTAssertEqual(layer([0, 3, 1, 1, 2, 0], shape: [2, 3]).shape, [2, 3, 3])
        XCTAssertEqual(layer.weight.shape, [4, 3])
    }
}
