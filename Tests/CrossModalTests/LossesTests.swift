import CrossModal
import NN
import Tensors
import TestSupport
import XCTest

/// Contrastive, alignment and image–text matching losses against PyTorch and by their definitions.
final class LossesTests: XCTestCase {
    func testContrastiveLossMatchesPyTorch() throws {
        let fx = try Fixture.load("losses")
        let (loss, grads) = valueAndGrad(at: [fx.tensor("logits")]) { x in contrastiveLoss(x[0]) }
        assertClose(loss, fx.tensor("clip"), "clip loss")
        assertClose(grads[0], fx.tensor("grad_logits"), rtol: 1e-4, atol: 1e-6, "clip grad")
    }

    func testAlignmentLossesMatchPyTorch() throws {
        let fx = try Fixture.load("losses")
        let inputs = [fx.tensor("v"), fx.tensor("t")]
        let cosine = AlignmentLoss(kind: .cosine, weight: 0.3)
        let (c, gc) = valueAndGrad(at: inputs) { x in cosine(visual: x[0], text: x[1]) }
        assertClose(c, fx.tensor("cosine"), "cosine alignment")
        assertClose(gc[0], fx.tensor("grad_v_cosine"), rtol: 1e-4, atol: 1e-6)
        assertClose(gc[1], fx.tensor("grad_t_cosine"), rtol: 1e-4, atol: 1e-6)
        let info = AlignmentLoss(kind: .infoNCE(temperature: 0.07), weight: 0.5)
        let (i, gi) = valueAndGrad(at: inputs) { x in info(visual: x[0], text: x[1]) }
        assertClose(i, fx.tensor("info_nce"), rtol: 1e-5, atol: 1e-6, "InfoNCE alignment")
        assertClose(gi[0], fx.tensor("grad_v_info"), rtol: 1e-4, atol: 1e-6)
        assertClose(gi[1], fx.tensor("grad_t_info"), rtol: 1e-4, atol: 1e-6)
    }

    func testDualEncoderTemperatureStartsAtOneOverPointZeroSevenAndIsClamped() throws {
        Random.seed(0)
        let model = DualEncoder(visualDim: 6, textDim: 5, width: 8)
        XCTAssertEqual(model.logitScale.item, Float(log(1 / 0.07)), accuracy: 1e-6)
        XCTAssertEqual(model.parameters()["logit_scale"]?.shape, [])
        var rng = RandomGenerator(seed: 1)
        let batch = FusionBatch(visual: Tensor.randn([4, 3, 6], using: &rng), text: Tensor.randn([4, 2, 5], using: &rng))
        let (v, t) = try model.embed(batch)
        for row in 0..<4 {
            let norm = (0..<8).map { v.data[row * 8 + $0] * v.data[row * 8 + $0] }.reduce(0, +)
            XCTAssertEqual(norm, 1, accuracy: 1e-5, "embeddings are L2-normalised")
        }
        let sim = try model.similarity(batch)
        XCTAssertEqual(sim.shape, [4, 4])
        XCTAssertEqual(sim.data[1], (0..<8).map { v.data[$0] * t.data[8 + $0] }.reduce(0, +) / 0.07, accuracy: 1e-3)
        model.logitScale.assign(Tensor(10))
        let (_, grads) = try valueAndGrad(model) { m in contrastiveLoss(try m.similarity(batch)) }
        let clamped = try model.similarity(batch)
        XCTAssertEqual(clamped.data[1], sim.data[1] * 0.07 * 100, accuracy: 1e-3, "clamped at ln 100")
        XCTAssertEqual(grads["logit_scale"]!.item, 0, "no gradient through the clamp")
    }

    func testHardNegativesAreNeverThePositiveAndFollowSimilarity() {
        var rng = RandomGenerator(seed: 3)
        // Row i is most similar to column (i + 1) % 4 after itself.
        var s = [Float](repeating: 0, count: 16)
        for i in 0..<4 { s[i * 4 + i] = 10; s[i * 4 + (i + 1) % 4] = 5 }
        let similarity = Tensor(shape: [4, 4], s)
        var hits = 0
        for _ in 0..<200 {
            let n = sampleHardNegatives(similarity: similarity, using: &rng)
            for i in 0..<4 {
                XCTAssertNotEqual(n.textForImage[i], i)
                XCTAssertNotEqual(n.imageForText[i], i)
                if n.textForImage[i] == (i + 1) % 4 { hits += 1 }
            }
        }
        XCTAssertGreaterThan(hits, 700, "the hardest negative (softmax weight ≈ 0.99) is drawn almost always")
    }

    func testImageTextMatchingLossTrainsHeadAndModel() throws {
        Random.seed(2)
        let model = CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 2, classes: 2)
        let itm = ImageTextMatchingHead(jointDim: model.jointDim)
        var rng = RandomGenerator(seed: 4)
        let batch = FusionBatch(visual: Tensor.randn([4, 3, 6], using: &rng), text: Tensor.randn([4, 2, 5], using: &rng),
                                textPaddingMask: Mask.padding(lengths: [2, 1, 2, 2], maxLength: 2))
        let similarity = Tensor.randn([4, 4], using: &rng)
        var draw = RandomGenerator(seed: 5)
        let params = model.trainableParameters() + itm.trainableParameters()
        let r = try Tape.valueAndGradients(wrt: params.map(\.tensor)) {
            try itm.loss(model: model, batch: batch, similarity: similarity, using: &draw)
        }
        XCTAssertTrue(r.value.item.isFinite && r.value.item > 0)
        XCTAssertTrue(r.gradients.contains { g in g.scalars.contains { $0 != 0 } })
        XCTAssertTrue(r.gradients.last!.scalars.contains { $0 != 0 }, "the ITM head gets gradients")
    }
}
