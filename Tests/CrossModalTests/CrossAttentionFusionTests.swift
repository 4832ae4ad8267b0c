import CrossModal
import NN
import Tensors
import TestSupport
import XCTest

/// `CrossAttentionFusion`'s readouts: `.text` classifies the text stream's masked mean alone, on the unpadded
/// path as on the padded one, and the attention weights come with the same logits; its auxiliary classifier
/// reads both streams pooled and changes nothing else; with a region grid, the plain cross-attention layer
/// reads the regions after they attended to each other.
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

    func testARegionGridLetsTheRegionsAttendToEachOtherOnceBeforeTheCrossAttentionLayer() throws {
        var rng = RandomGenerator(seed: 23)
        let batch = FusionBatch(visual: Tensor.randn([3, 6, 6], using: &rng), text: Tensor.randn([3, 5, 5], using: &rng),
                                textPaddingMask: .padding(lengths: [5, 2, 3], maxLength: 5))
        let grid = RegionGrid(height: 2, width: 3)
        Random.seed(9)
        let plain = CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 4, kind: .crossAttention(.shared), dropout: 0,
                                         hidden: [12], classes: 3, readout: .text)
        Random.seed(9)
        let model = CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 4, kind: .crossAttention(.shared, regionGrid: grid),
                                         dropout: 0, hidden: [12], classes: 3, readout: .text)
        let added = Set(model.stateDict().keys).subtracting(plain.stateDict().keys)
        XCTAssertEqual(added, ["encoder.region_self_attention.attention.in_proj_weight", "encoder.region_self_attention.attention.in_proj_bias",
                               "encoder.region_self_attention.attention.out_proj.weight", "encoder.region_self_attention.attention.out_proj.bias",
                               "encoder.region_self_attention.norm.weight", "encoder.region_self_attention.norm.bias"])
        for (key, tensor) in plain.stateDict() where !key.hasPrefix("classifier.") {
            XCTAssertEqual(model.stateDict()[key]?.scalars, tensor.scalars, "\(key): built after the layers, it leaves their numbers as they were")
        }
        let regionSelfAttention = try XCTUnwrap(model.encoder.regionSelfAttention)
        XCTAssertEqual(regionSelfAttention.grid, grid)
        let layer = try XCTUnwrap(model.encoder.namedModules().first { $0.key == "layers.0" }?.module as? CrossModalAttention)
        let expected = layer(visual: regionSelfAttention(model.visualProjector(batch.visual)), text: model.textProjector(batch.text),
                             visualPaddingMask: nil, textPaddingMask: batch.textPaddingMask, returnWeights: false, perHead: false)
        let out = try model.encode(batch)
        assertClose(out.visual, expected.visual, rtol: 1e-5, atol: 1e-6, "visual stream")
        assertClose(out.text, expected.text, rtol: 1e-5, atol: 1e-6, "text stream")
        assertClose(try model.joint(batch), maskedMean(out.text, paddingMask: batch.textPaddingMask), rtol: 1e-5, atol: 1e-5,
                    "the unpadded path applies it too")
        let (_, grads) = try valueAndGrad(model) { m in crossEntropy(try m(batch), targets: [0, 2, 1]) }
        for key in added {
            XCTAssertGreaterThan(try XCTUnwrap(grads[key]).scalars.map(abs).max() ?? 0, 0, "\(key) learns")
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
