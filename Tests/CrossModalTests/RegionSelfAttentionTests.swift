import CrossModal
import NN
import Tensors
import TestSupport
import XCTest

/// `RegionSelfAttention`: the heads' slopes, the distance bias on the grid, the forward pass as the
/// composition it documents, its keys, and the co-attention layer that carries it.
final class RegionSelfAttentionTests: XCTestCase {
    func testSlopesFavourNoneNearAndFarRegions() {
        XCTAssertEqual(RegionSelfAttention.slopes(heads: 8), [0, 0.5, 1, 2, 4, -0.5, -1, -2])
        XCTAssertEqual(RegionSelfAttention.slopes(heads: 4), [0, 0.5, 1, -0.5])
        XCTAssertEqual(RegionSelfAttention.slopes(heads: 1), [0])
    }

    func testTheBiasIsMinusSlopeTimesTheCellDistanceAndBiasedHeadsSkipTheRegionItself() {
        let grid = RegionGrid(height: 2, width: 3)
        let bias = RegionSelfAttention.distanceBias(grid: grid, slopes: [0, 2, -1])
        XCTAssertEqual(bias.shape, [3, 6, 6])
        func at(_ h: Int, _ i: Int, _ j: Int) -> Float { bias.data[(h * 6 + i) * 6 + j] }
        // Region 0 is cell (row 0, column 0), region 5 is (1, 2): √5 apart; region 4 is (1, 1): √2.
        XCTAssertEqual(at(0, 0, 5), 0)
        XCTAssertEqual(at(1, 0, 5), -2 * Float(5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(at(2, 0, 5), Float(5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(at(1, 4, 0), -2 * Float(2).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(at(1, 3, 4), -2)
        for i in 0..<6 {
            XCTAssertEqual(at(0, i, i), 0, "the unbiased head may attend to the region itself")
            XCTAssertEqual(at(1, i, i), -.infinity)
            XCTAssertEqual(at(2, i, i), -.infinity)
        }
    }

    func testForwardIsNormOfRegionsPlusBiasedSelfAttentionAndKeysAreTorchs() {
        Random.seed(3)
        let grid = RegionGrid(height: 2, width: 2)
        let layer = RegionSelfAttention(width: 8, heads: 4, grid: grid)
        var rng = RandomGenerator(seed: 4)
        let regions = Tensor.randn([3, 4, 8], using: &rng)
        let repeated = Tensor(shape: [12, 4, 4], Array((0..<3).map { _ in layer.bias.scalars }.joined()))
        let expected = layer.norm(regions, adding: layer.attention(regions, regions, regions, attentionMask: .additive(repeated)).output)
        XCTAssertEqual(layer(regions).scalars, expected.scalars)
        XCTAssertEqual(Set(layer.stateDict().keys), ["attention.in_proj_weight", "attention.in_proj_bias", "attention.out_proj.weight",
                                                     "attention.out_proj.bias", "norm.weight", "norm.bias"])
    }

    func testTheCoAttentionLayerWithAGridTrainsItsRegionSelfAttention() throws {
        Random.seed(5)
        let grid = RegionGrid(height: 2, width: 2)
        let model = CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 4, layers: 2,
                                         kind: .coTransformer(feedForwardDim: 16, regionGrid: grid), dropout: 0, classes: 3, readout: .text)
        var rng = RandomGenerator(seed: 6)
        let batch = FusionBatch(visual: Tensor.randn([2, 4, 6], using: &rng), text: Tensor.randn([2, 3, 5], using: &rng),
                                textPaddingMask: .padding(lengths: [3, 2], maxLength: 3))
        let (_, grads) = try valueAndGrad(model) { m in sum(try m(batch)) }
        for layer in 0..<2 {
            let key = "encoder.layers.\(layer).region_self_attention.attention.in_proj_weight"
            let g = try XCTUnwrap(grads[key], key)
            XCTAssertGreaterThan(g.scalars.map { abs($0) }.max() ?? 0, 0, key)
        }
        let plain = CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 4, layers: 2,
                                         kind: .coTransformer(feedForwardDim: 16), dropout: 0, classes: 3)
        XCTAssertFalse(plain.stateDict().keys.contains { $0.contains("region_self_attention") })
    }
}
