import CrossModal
import NN
import Tensors
import TestSupport
import XCTest

/// `CrossAttentionFusion`'s readouts: `.text` classifies the text stream's masked mean alone, on the unpadded
/// path as on the padded one, and the attention weights come with the same logits; its auxiliary classifier
/// reads both streams pooled and changes nothing else.
final class CrossAttentionFusionTests: XCTestCase {
    private func batch() -> FusionBatch {
        var rng = RandomGenerator(seed: 21)
        return FusionBatch(visual: Tensor.randn([3, 4, 6], using: &rng), text: Tensor.randn([3, 5, 5], using: &rng),
                           textPaddingMask: .padding(lengths: [5, 2, 3], maxLength: 5))
    }

    func testTextReadoutClassifiesTheTextStreamsMeanAlone() throws {
        for kind in [CrossAttentionFusion.LayerKind.crossAttention(.shared), .coTransformer(feedForwardDim: 16)] {
            Random.seed(5)
            let model = CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 2, layers: 2, kind: kind, dropout: 0,
                                             hidden: [12], classes: 3, readout: .text)
            XCTAssertEqual(model.jointDim, 8)
            XCTAssertEqual((model.classifier.layers.first as? Linear)?.weight.shape, [12, 8], "the classifier reads width features")
            let batch = batch()
            let out = try model.encode(batch)
            let expected = maskedMean(out.text, paddingMask: batch.textPaddingMask)
            assertClose(try model.joint(batch), expected, rtol: 1e-5, atol: 1e-6, "joint of \(kind)")
            let (logits, attention) = try model.logitsAndAttention(batch)
            assertClose(logits, try model(batch), rtol: 1e-5, atol: 1e-6, "logits with attention, \(kind)")
            XCTAssertEqual(attention.textToVisualWeights?.shape, [3, 2, 5, 4])
        }
    }

    func testTheAuxiliaryClassifierReadsBothStreamsPooledAndLeavesTheModelAsItWas() throws {
        for kind in [CrossAttentionFusion.LayerKind.crossAttention(.shared), .coTransformer(feedForwardDim: 16)] {
            Random.seed(7)
            let plain = CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 2, layers: 2, kind: kind, dropout: 0,
                                             hidden: [12], classes: 3, readout: .text)
            Random.seed(7)
            let model = CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 2, layers: 2, kind: kind, dropout: 0,
                                             hidden: [12], classes: 3, readout: .text, auxiliaryClassifier: true)
            let keys = Set(model.stateDict().keys)
            XCTAssertEqual(keys.subtracting(plain.stateDict().keys),
                           ["auxiliary_classifier.0.weight", "auxiliary_classifier.0.bias", "auxiliary_classifier.2.weight", "auxiliary_classifier.2.bias"])
            XCTAssertEqual((model.auxiliaryClassifier?.layers.first as? Linear)?.weight.shape, [12, 16], "it reads 2 × width features")
            for (key, tensor) in plain.stateDict() {
                XCTAssertEqual(model.stateDict()[key]?.scalars, tensor.scalars, "\(key): built after everything else, it draws no one else's numbers")
            }
            let batch = batch()
            let (logits, auxiliary) = try model.trainingLogits(batch)
            assertClose(logits, try plain(batch), rtol: 1e-5, atol: 1e-6, "\(kind): the main logits are the model's without it")
            let out = try model.encode(batch)
            let pooled = concat([maskedMean(out.visual, paddingMask: nil), maskedMean(out.text, paddingMask: batch.textPaddingMask)], axis: 1)
            assertClose(try XCTUnwrap(auxiliary), try XCTUnwrap(model.auxiliaryClassifier)(pooled), rtol: 1e-5, atol: 1e-6, "auxiliary logits, \(kind)")
            XCTAssertNil(try plain.trainingLogits(batch).auxiliary)
        }
    }

    func testBothStreamsReadoutIsTheDefaultAndConcatenatesThePooledStreams() throws {
        Random.seed(6)
        let model = CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 2, dropout: 0, classes: 3)
        XCTAssertEqual(model.readout, .bothStreams)
        XCTAssertEqual(model.jointDim, 16)
        let batch = batch()
        let out = try model.encode(batch)
        let expected = concat([maskedMean(out.visual, paddingMask: nil), maskedMean(out.text, paddingMask: batch.textPaddingMask)], axis: 1)
        assertClose(try model.joint(batch), expected, rtol: 1e-5, atol: 1e-6, "joint")
    }
}
