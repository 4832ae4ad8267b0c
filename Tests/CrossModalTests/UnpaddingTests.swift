import CrossModal
import NN
import Tensors
import TestSupport
import XCTest

/// The seed model's unpadded path (`joint` packs the valid text tokens) against the padded computation:
/// same joint representation and same parameter gradients.
final class UnpaddingTests: XCTestCase {
    func testPackedJointEqualsPadded() throws {
        Random.seed(11)
        let model = CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 2, layers: 2,
                                         kind: .crossAttention(.shared), dropout: 0, classes: 3)
        var rng = RandomGenerator(seed: 12)
        let batch = FusionBatch(
            visual: Tensor.randn([3, 4, 6], using: &rng), text: Tensor.randn([3, 5, 5], using: &rng),
            textPaddingMask: .padding(lengths: [5, 1, 3], maxLength: 5))
        let gout = Tensor.randn([3, 16], using: &rng)
        let padded = valueAndGrad(model) { m in
            let out = try! m.encode(batch)
            let joint = concat([maskedMean(out.visual, paddingMask: nil), maskedMean(out.text, paddingMask: batch.textPaddingMask)], axis: 1)
            return sum(mul(joint, gout))
        }
        let packed = try valueAndGrad(model) { m in sum(mul(try m.joint(batch), gout)) }
        assertClose(packed.value, padded.value, "joint")
        for (key, g) in padded.gradients { assertClose(packed.gradients[key]!, g, rtol: 1e-4, atol: 1e-6, key) }
    }
}
