import CrossModal
import NN
import Tensors
import XCTest

/// `TextPointerBias`: the bias from the earlier layer's weights (centroid distance per head, the skip of the
/// regions looked at), and the co-attention stack that hands each layer's text→region weights to the next.
final class TextPointerBiasTests: XCTestCase {
    func testTheBiasIsMinusSlopeTimesTheDistanceFromTheCentroidMinusTheSkipOfWhatWasSeen() {
        let grid = RegionGrid(height: 2, width: 3)
        let pointer = TextPointerBias(grid: grid, skip: 8)
        // Batch item 0, token 0 looked only at region 4 (row 1, column 1); token 1 half at region 0, half at
        // region 2: centroid (row 0, column 1), both seen as much as the row's largest.
        var w = [Float](repeating: 0, count: 2 * 6)
        w[4] = 1
        (w[6], w[8]) = (0.5, 0.5)
        let bias = pointer(previousWeights: Tensor(shape: [1, 2, 6], w), heads: 4)
        XCTAssertEqual(bias.shape, [4, 2, 6])  // slopes 0, ½, 1, −½
        func at(_ h: Int, _ t: Int, _ j: Int) -> Float { bias.data[(h * 2 + t) * 6 + j] }
        for t in 0..<2 { for j in 0..<6 { XCTAssertEqual(at(0, t, j), 0, "the unbiased head") } }
        XCTAssertEqual(at(1, 0, 4), -8, "the region looked at: distance 0, skipped")
        XCTAssertEqual(at(2, 0, 0), -Float(2).squareRoot(), accuracy: 1e-6)   // cell (0, 0) is √2 from (1, 1)
        XCTAssertEqual(at(3, 0, 2), 0.5 * Float(2).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(at(1, 0, 3), -0.5)
        XCTAssertEqual(at(1, 1, 1), 0, "the centroid's own cell, never looked at")
        XCTAssertEqual(at(2, 1, 0), -1 - 8)
        XCTAssertEqual(at(2, 1, 2), -1 - 8)
        XCTAssertEqual(at(3, 1, 4), 0.5 * 1 - 0, accuracy: 1e-6)
    }

    func testEachLayerAfterTheFirstAttendsWithTheBiasOfTheLayerBeforesWeights() throws {
        Random.seed(7)
        let grid = RegionGrid(height: 2, width: 2)
        let pointer = TextPointerBias(grid: grid)
        let model = CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 4, layers: 2,
                                         kind: .coTransformer(feedForwardDim: 16, regionGrid: grid, textPointer: pointer),
                                         dropout: 0, classes: 3, readout: .text)
        model.eval()
        var rng = RandomGenerator(seed: 8)
        let batch = FusionBatch(visual: Tensor.randn([2, 4, 6], using: &rng), text: Tensor.randn([2, 3, 5], using: &rng),
                                textPaddingMask: .padding(lengths: [3, 2], maxLength: 3))
        let layers = try (0..<2).map { i in
            try XCTUnwrap(model.namedModules().first { $0.key == "encoder.layers.\(i)" }?.module as? CoTransformerLayer)
        }
        let (visual, text) = (model.visualProjector(batch.visual), model.textProjector(batch.text))
        let first = layers[0](visual: visual, text: text, visualPaddingMask: nil, textPaddingMask: batch.textPaddingMask, returnWeights: true)
        let bias = pointer(previousWeights: try XCTUnwrap(first.textToVisualWeights), heads: 4)
        let second = layers[1](visual: first.visual, text: first.text, visualPaddingMask: nil, textPaddingMask: batch.textPaddingMask,
                               returnWeights: false, perHead: false, textAttentionBias: bias)
        let encoded = try model.encode(batch)
        XCTAssertEqual(encoded.text.scalars, second.text.scalars)
        XCTAssertEqual(encoded.visual.scalars, second.visual.scalars)
        let unbiased = layers[1](visual: first.visual, text: first.text, visualPaddingMask: nil, textPaddingMask: batch.textPaddingMask,
                                 returnWeights: false)
        XCTAssertNotEqual(encoded.text.scalars, unbiased.text.scalars, "the bias changes the second layer's text")
        // The heatmaps' pass (each head's weights of the last layer) runs the same biased stack.
        let (logits, attention) = try model.logitsAndAttention(batch)
        XCTAssertEqual(attention.textToVisualWeights?.shape, [2, 4, 3, 4])
        let plainLogits = try model(batch).scalars
        for (a, b) in zip(logits.scalars, plainLogits) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }
}
