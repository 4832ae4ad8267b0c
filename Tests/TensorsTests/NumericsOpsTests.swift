import Tensors
import TestSupport
import XCTest

/// Softmax, log-softmax, layer norm, dropout, cross-entropy, MSE, cosine similarity and L2 normalize
/// against PyTorch fixtures and finite differences.
final class NumericsOpsTests: XCTestCase {
    func testSoftmaxMatchesPyTorch() throws {
        try checkOp("softmax_last") { x, _ in softmax(x[0]) }
        try checkOp("softmax_middle") { x, _ in softmax(x[0], axis: 1) }
        try checkOp("softmax_large") { x, _ in softmax(x[0], axis: -1) }
        try checkOp("log_softmax_last") { x, _ in logSoftmax(x[0]) }
        try checkOp("log_softmax_middle") { x, _ in logSoftmax(x[0], axis: 1) }
        try checkOp("log_softmax_large") { x, _ in logSoftmax(x[0]) }
    }

    func testSoftmaxIsStableForHugeInputs() {
        let x = Tensor(shape: [1, 3], [1e30, -1e30, 1e30])
        XCTAssertEqual(softmax(x).scalars, [0.5, 0, 0.5])
        XCTAssertEqual(logSoftmax(x).scalars[0], -Float(0.6931472), accuracy: 1e-6)
    }

    func testLayerNormMatchesPyTorch() throws {
        try checkOp("layer_norm_affine", rtol: 1e-4, atol: 1e-5) { x, _ in layerNorm(x[0], weight: x[1], bias: x[2]) }
        try checkOp("layer_norm_plain", rtol: 1e-4, atol: 1e-5) { x, _ in layerNorm(x[0], weight: nil, bias: nil) }
    }

    func testLayerNormParameterGradientsAcrossManyRows() {
        // Enough rows that backward splits them across cores; the per-chunk partial sums must add up to
        // the single-threaded reference Σ g · x̂ and Σ g.
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randn([2048, 24], using: &rng), w = Tensor.randn([24], using: &rng), b = Tensor.randn([24], using: &rng)
        let gout = Tensor.randn([2048, 24], using: &rng)
        let (_, grads) = valueAndGrad(at: [x, w, b]) { v in sum(mul(layerNorm(v[0], weight: v[1], bias: v[2]), gout)) }
        let xhat = layerNorm(x, weight: nil, bias: nil)
        assertClose(grads[1], sum(mul(gout, xhat), axes: [0]), rtol: 1e-4, atol: 1e-4, "dweight")
        assertClose(grads[2], sum(gout, axes: [0]), rtol: 1e-4, atol: 1e-4, "dbias")
    }

    func testCrossEntropyMatchesPyTorch() throws {
        try checkOp("cross_entropy_mean_ignore") { x, fx in crossEntropy(x[0], targets: fx.ints("targets")) }
        try checkOp("cross_entropy_smooth") { x, fx in crossEntropy(x[0], targets: fx.ints("targets"), labelSmoothing: 0.1) }
        try checkOp("cross_entropy_sum") { x, fx in crossEntropy(x[0], targets: fx.ints("targets"), reduction: .sum) }
        try checkOp("cross_entropy_none_smooth") { x, fx in
            crossEntropy(x[0], targets: fx.ints("targets"), labelSmoothing: 0.1, reduction: .none)
        }
        try checkOp("cross_entropy_ignore_other") { x, fx in crossEntropy(x[0], targets: fx.ints("targets"), ignoreIndex: 2) }
    }

    func testCrossEntropyWithEveryRowIgnoredIsNaNLikePyTorch() {
        let loss = crossEntropy(Tensor(zeros: [2, 3]), targets: [-100, -100])
        XCTAssertTrue(loss.item.isNaN)
        XCTAssertEqual(crossEntropy(Tensor(zeros: [2, 3]), targets: [-100, -100], reduction: .sum).item, 0)
    }

    func testMSELossMatchesPyTorch() throws {
        try checkOp("mse_mean") { x, _ in mseLoss(x[0], x[1]) }
        try checkOp("mse_sum") { x, _ in mseLoss(x[0], x[1], reduction: .sum) }
        try checkOp("mse_none") { x, _ in mseLoss(x[0], x[1], reduction: .none) }
    }

    func testSimilarityMatchesPyTorch() throws {
        try checkOp("cosine_last") { x, _ in cosineSimilarity(x[0], x[1]) }
        try checkOp("cosine_axis0") { x, _ in cosineSimilarity(x[0], x[1], axis: 0) }
        try checkOp("cosine_broadcast") { x, _ in cosineSimilarity(x[0], x[1]) }
        try checkOp("l2_normalize_last") { x, _ in l2Normalize(x[0]) }
        try checkOp("l2_normalize_axis1") { x, _ in l2Normalize(x[0], axis: 1) }
    }

    func testL2NormalizeOfZeroVectorIsZeroWithFiniteGradient() {
        let x = Tensor(zeros: [2, 3])
        let (y, g) = valueAndGrad(at: [x]) { v in sum(l2Normalize(v[0])) }
        XCTAssertEqual(y.item, 0)
        XCTAssertTrue(g[0].scalars.allSatisfy(\.isFinite))
    }

    func testDropoutKeepsAboutOneMinusPAndScalesKeptValues() {
        let p: Float = 0.3
        var rng = RandomGenerator(seed: 11)
        let y = dropout(Tensor(shape: [20_000], repeating: 1), p: p, using: &rng)
        let kept = y.scalars.filter { $0 != 0 }
        XCTAssertEqual(Float(kept.count) / 20_000, 1 - p, accuracy: 0.015)
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / (1 - p)) < 1e-6 })
    }

    func testDropoutSameSeedSameMaskAndBackwardUsesIt() {
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.randn([8, 16], using: &rng)
        var g1 = RandomGenerator(seed: 42), g2 = RandomGenerator(seed: 42)
        let (y, grads) = valueAndGrad(at: [x]) { v in sum(dropout(v[0], p: 0.5, using: &g1)) }
        let again = dropout(x, p: 0.5, using: &g2)
        XCTAssertEqual(y.item, sum(again).item, accuracy: 1e-4)
        for i in 0..<x.count {
            XCTAssertEqual(again.data[i], x.data[i] * grads[0].data[i], accuracy: 1e-6, "element \(i)")
            XCTAssertTrue(grads[0].data[i] == 0 || grads[0].data[i] == 2, "element \(i): gradient \(grads[0].data[i])")
        }
        var fresh = RandomGenerator(seed: 43)
        XCTAssertNotEqual(dropout(x, p: 0.5, using: &fresh).scalars, again.scalars)
    }

    func testDropoutEdgeProbabilities() {
        let x = Tensor(shape: [4], [1, -2, 3, 4])
        var rng = RandomGenerator(seed: 0)
        XCTAssertTrue(dropout(x, p: 0, using: &rng) === x)
        XCTAssertEqual(dropout(x, p: 1, using: &rng).scalars, [0, 0, 0, 0])
        Random.seed(9)
        let a = dropout(x, p: 0.5)
        Random.seed(9)
        XCTAssertEqual(dropout(x, p: 0.5).scalars, a.scalars)
    }

    func testFiniteDifferences() {
        var rng = RandomGenerator(seed: 21)
        let a = Tensor.randn([3, 4, 5], using: &rng), b = Tensor.randn([3, 4, 5], using: &rng)
        checkGradientsNumerically([a]) { x in softmax(x[0]) }
        checkGradientsNumerically([a]) { x in softmax(x[0], axis: 1) }
        checkGradientsNumerically([a]) { x in logSoftmax(x[0]) }
        checkGradientsNumerically([a]) { x in logSoftmax(x[0], axis: 0) }
        let w = Tensor.randn([5], using: &rng), bias = Tensor.randn([5], using: &rng)
        checkGradientsNumerically([a, w, bias]) { x in layerNorm(x[0], weight: x[1], bias: x[2]) }
        checkGradientsNumerically([a]) { x in layerNorm(x[0], weight: nil, bias: nil) }
        checkGradientsNumerically([a]) { x in
            var g = RandomGenerator(seed: 77)  // the same mask on every evaluation
            return dropout(x[0], p: 0.4, using: &g)
        }
        let logits = Tensor.randn([5, 4], using: &rng), targets = [2, -100, 0, 3, 1]
        for r in [Reduction.mean, .sum, .none] {
            checkGradientsNumerically([logits]) { x in crossEntropy(x[0], targets: targets, reduction: r) }
            checkGradientsNumerically([logits]) { x in crossEntropy(x[0], targets: targets, labelSmoothing: 0.2, reduction: r) }
            checkGradientsNumerically([a, b]) { x in mseLoss(x[0], x[1], reduction: r) }
        }
        checkGradientsNumerically([a, b]) { x in cosineSimilarity(x[0], x[1]) }
        checkGradientsNumerically([a, b]) { x in cosineSimilarity(x[0], x[1], axis: 1) }
        checkGradientsNumerically([a]) { x in l2Normalize(x[0]) }
        checkGradientsNumerically([a]) { x in l2Normalize(x[0], axis: 0) }
    }
}
