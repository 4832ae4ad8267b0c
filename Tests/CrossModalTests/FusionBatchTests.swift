import CrossModal
import Tensors
import XCTest

/// Bad input at the fusion models' public API gets a typed error that says how to fix it.
final class FusionBatchTests: XCTestCase {
    private let model = ConcatFusion(visualDim: 8, textDim: 6, width: 4, classes: 2)

    private func check(_ batch: FusionBatch, _ expected: FusionInputError, mentions: String) {
        XCTAssertThrowsError(try model(batch)) { error in
            XCTAssertEqual(error as? FusionInputError, expected)
            XCTAssertTrue("\(error)".contains(mentions), "\(error)")
        }
    }

    func testWidthMismatchNamesTheProjectorToAdd() {
        check(FusionBatch(visual: Tensor(zeros: [2, 3, 2048]), text: Tensor(zeros: [2, 4, 6])),
              .widthMismatch(modality: .visual, found: 2048, expected: 8),
              mentions: "visual features have width 2048 but the model expects 8: give the model a FeatureProjector(inputDim: 2048")
    }

    func testBatchSizesMaskShapesRanksAndNonFiniteValues() {
        check(FusionBatch(visual: Tensor(zeros: [2, 3, 8]), text: Tensor(zeros: [3, 4, 6])),
              .batchMismatch(visual: 2, text: 3), mentions: "visual batch has 2 items but text batch has 3")
        check(FusionBatch(visual: Tensor(zeros: [2, 3, 8]), text: Tensor(zeros: [2, 4, 6]),
                          textPaddingMask: Mask.padding(lengths: [1, 2], maxLength: 5)),
              .maskShape(modality: .text, expected: [2, 4], found: [2, 5]), mentions: "true = padding")
        check(FusionBatch(visual: Tensor(zeros: [2, 8]), text: Tensor(zeros: [2, 4, 6])),
              .wrongRank(modality: .visual, shape: [2, 8]), mentions: "[batch, regions, width]")
        let text = Tensor(zeros: [2, 4, 6])
        text.mutableData[3] = .nan
        check(FusionBatch(visual: Tensor(zeros: [2, 3, 8]), text: text),
              .nonFinite(modality: .text, count: 1, total: 48), mentions: "NaN/Inf")
    }
}

/// The grid baseline keeps region order and checks the grid size.
final class GridConcatFusionTests: XCTestCase {
    func testRegionOrderMattersAndGridSizeIsChecked() throws {
        let model = GridConcatFusion(visualDim: 4, textDim: 3, regions: 3, width: 5, hidden: [8], classes: 2)
        model.eval()
        var rng = RandomGenerator(seed: 0)
        let visual = Tensor.randn([1, 3, 4], using: &rng), text = Tensor.randn([1, 2, 3], using: &rng)
        let swapped = concat([slice(visual, axis: 1, 1..<2), slice(visual, axis: 1, 0..<1), slice(visual, axis: 1, 2..<3)], axis: 1)
        let a = try model(FusionBatch(visual: visual, text: text)), b = try model(FusionBatch(visual: swapped, text: text))
        XCTAssertNotEqual(a.scalars, b.scalars, "positions are kept")
        XCTAssertThrowsError(try model(FusionBatch(visual: Tensor(zeros: [1, 4, 4]), text: text))) { error in
            XCTAssertEqual(error as? FusionInputError, .regionCount(found: 4, expected: 3))
        }
    }
}
