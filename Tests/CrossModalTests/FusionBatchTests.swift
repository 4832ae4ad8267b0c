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
