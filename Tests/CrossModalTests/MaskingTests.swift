import CrossModal
import NN
import Tensors
import TestSupport
import XCTest

/// Padding masks: padded tokens and regions change nothing; all-padding samples stay finite.
final class MaskingTests: XCTestCase {
    private func batch(seed: UInt64, perturbPadding: Bool) -> FusionBatch {
        var rng = RandomGenerator(seed: seed)
        let visual = Tensor.randn([3, 5, 12], using: &rng), text = Tensor.randn([3, 4, 10], using: &rng)
        let visualMask = Mask.padding(lengths: [5, 3, 4], maxLength: 5)
        let textMask = Mask.padding(lengths: [4, 1, 2], maxLength: 4)
        if perturbPadding {
            var noise = RandomGenerator(seed: 99)
            for (t, m, d) in [(visual, visualMask, 12), (text, textMask, 10)] {
                for (i, masked) in m.values.enumerated() where masked {
                    for j in 0..<d { t.mutableData[i * d + j] = 100 * noise.normal() }
                }
            }
        }
        return FusionBatch(visual: visual, visualPaddingMask: visualMask, text: text, textPaddingMask: textMask)
    }

    func testPaddedPositionsChangeNoValidOutputNorPooledFeature() throws {
        for kind in [CrossAttentionFusion.LayerKind.crossAttention(.shared), .crossAttention(.perDirection), .coAttention(feedForwardDim: 32)] {
            Random.seed(3)
            let model = CrossAttentionFusion(visualDim: 12, textDim: 10, width: 16, heads: 4, layers: 2, kind: kind, classes: 3)
            model.eval()
            let clean = batch(seed: 1, perturbPadding: false), noisy = batch(seed: 1, perturbPadding: true)
            let a = try model.encode(clean), b = try model.encode(noisy)
            for (x, y, mask, d) in [(a.visual, b.visual, clean.visualPaddingMask!, 16), (a.text, b.text, clean.textPaddingMask!, 16)] {
                for (i, masked) in mask.values.enumerated() where !masked {
                    for j in 0..<d {
                        XCTAssertEqual(x.data[i * d + j], y.data[i * d + j], accuracy: 1e-5, "\(kind): valid position \(i)")
                    }
                }
            }
            assertClose(try model.joint(noisy), try model.joint(clean), rtol: 1e-5, atol: 1e-5, "\(kind): pooled")
            assertClose(try model(noisy), try model(clean), rtol: 1e-5, atol: 1e-5, "\(kind): logits")
        }
    }

    func testAllPaddingTextGivesFiniteOutputsAndGradients() throws {
        Random.seed(4)
        let model = CrossAttentionFusion(visualDim: 12, textDim: 10, width: 16, heads: 4, classes: 3)
        var b = batch(seed: 2, perturbPadding: false)
        b.textPaddingMask = Mask.padding(lengths: [4, 0, 2], maxLength: 4)
        let (loss, grads) = try valueAndGrad(model) { m in crossEntropy(try m(b), targets: [0, 1, 2]) }
        XCTAssertTrue(loss.item.isFinite)
        for (key, g) in grads { XCTAssertTrue(g.scalars.allSatisfy(\.isFinite), "gradient \(key) is finite") }
    }

    func testAttentionWeightsOfBothDirectionsAreReturnedAndIgnorePadding() throws {
        Random.seed(5)
        let model = CrossAttentionFusion(visualDim: 12, textDim: 10, width: 16, heads: 4, classes: 3)
        model.eval()
        let b = batch(seed: 3, perturbPadding: false)
        let out = try model.encode(b, returnWeights: true)
        let v2t = try XCTUnwrap(out.visualToTextWeights), t2v = try XCTUnwrap(out.textToVisualWeights)
        XCTAssertEqual(v2t.shape, [3, 5, 4])
        XCTAssertEqual(t2v.shape, [3, 4, 5])
        // Item 1 has one valid token: every region puts all its attention on it.
        for r in 0..<5 { XCTAssertEqual(v2t.data[(1 * 5 + r) * 4], 1, accuracy: 1e-6) }
        // Item 1 has 3 valid regions: no text token attends to regions 3 and 4.
        for t in 0..<4 { for r in 3..<5 { XCTAssertEqual(t2v.data[(1 * 4 + t) * 5 + r], 0) } }
    }
}
