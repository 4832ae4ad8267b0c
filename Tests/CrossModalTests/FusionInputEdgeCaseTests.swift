import CrossModal
import NN
import Tensors
import XCTest

/// Edge cases of the fusion models' input (docs/RELIABILITY.md): non-finite features (rejected or let
/// through, per batch), masks that hide everything, empty and zero-sized batches, wrongly shaped masks.
final class FusionInputEdgeCaseTests: XCTestCase {
    /// One model of every kind over visual width 6 and text width 5 (4 regions for the grid model).
    private func models() -> [(String, any FusionModel)] {
        Random.seed(11)
        return [
            ("concat", ConcatFusion(visualDim: 6, textDim: 5, width: 8, hidden: [8], classes: 3)),
            ("cross-shared", CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 2, kind: .crossAttention(.shared), classes: 3)),
            ("cross-per-direction", CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 2, classes: 3)),
            ("co-attention", CrossAttentionFusion(visualDim: 6, textDim: 5, width: 8, heads: 2, layers: 2,
                                                  kind: .coAttention(feedForwardDim: 16), classes: 3)),
            ("grid", GridConcatFusion(visualDim: 6, textDim: 5, regions: 4, width: 8, hidden: [8], classes: 3)),
            ("dual", DualEncoder(visualDim: 6, textDim: 5, width: 8)),
        ]
    }

    private func batch(visualLengths: [Int], textLengths: [Int], rejectNonFinite: Bool = true) -> FusionBatch {
        var rng = RandomGenerator(seed: 5)
        let b = visualLengths.count
        return FusionBatch(visual: Tensor.randn([b, 4, 6], using: &rng), visualPaddingMask: .padding(lengths: visualLengths, maxLength: 4),
                           text: Tensor.randn([b, 3, 5], using: &rng), textPaddingMask: .padding(lengths: textLengths, maxLength: 3),
                           rejectNonFinite: rejectNonFinite)
    }

    private func sumAndGradients<M: FusionModel>(_ model: M, _ batch: FusionBatch) throws -> (Float, [String: Tensor]) {
        let (value, grads) = try valueAndGrad(model) { m in sum(try m(batch)) }
        return (value.item, grads)
    }

    /// Every model, with images and texts that are all padding (alone and together): finite outputs and
    /// finite gradients for every parameter (a fully masked attention row gives zeros, not NaN as in PyTorch).
    func testMasksThatHideEverythingGiveFiniteOutputsAndGradients() throws {
        for (name, model) in models() {
            for (v, t) in [([0, 4], [3, 2]), ([4, 2], [0, 3]), ([0, 0], [0, 0])] {
                let b = batch(visualLengths: v, textLengths: t)
                let (loss, grads) = try sumAndGradients(model, b)
                XCTAssertTrue(loss.isFinite, "\(name) visual \(v) text \(t): loss \(loss)")
                XCTAssertFalse(grads.isEmpty)
                for (key, g) in grads {
                    XCTAssertTrue(g.scalars.allSatisfy(\.isFinite), "\(name) visual \(v) text \(t): gradient of \(key)")
                }
            }
        }
    }

    /// NaN and Inf are rejected by default (counted per modality) by every model; with
    /// `rejectNonFinite: false` they reach the model and show up in its output, for the Trainer's guard.
    func testNonFiniteFeaturesAreRejectedByDefaultAndLetThroughOnRequest() throws {
        for (name, model) in models() {
            var b = batch(visualLengths: [4, 4], textLengths: [3, 3])
            b.visual = b.visual * Tensor(1)  // a copy we may write
            b.visual.mutableData[0] = .infinity
            b.visual.mutableData[7] = -.infinity
            XCTAssertThrowsError(try model(b), name) { error in
                XCTAssertEqual(error as? FusionInputError, .nonFinite(modality: .visual, count: 2, total: 48), name)
                XCTAssertEqual("\(error)", "visual features contain 2 NaN/Inf values out of 48: clean the extractor output, "
                               + "or build the FusionBatch with rejectNonFinite: false to let them through")
            }
            b.rejectNonFinite = false
            let out = try model(b)
            XCTAssertFalse(out.scalars.allSatisfy(\.isFinite), "\(name): let through, the non-finite value reaches the output")
        }
        var b = batch(visualLengths: [4, 4], textLengths: [3, 3])
        b.text = b.text * Tensor(1)
        b.text.mutableData[29] = .nan
        XCTAssertThrowsError(try models()[0].1.joint(b)) { error in
            XCTAssertEqual(error as? FusionInputError, .nonFinite(modality: .text, count: 1, total: 30))
        }
    }

    /// NaN/Inf hidden under padding are still rejected by default: they would poison the unmasked sums.
    func testNonFiniteValuesUnderPaddingAreRejectedToo() {
        var b = batch(visualLengths: [4, 2], textLengths: [3, 3])
        b.visual = b.visual * Tensor(1)
        b.visual.mutableData[4 * 6 + 3 * 6] = .nan  // item 1, region 3: padding
        XCTAssertThrowsError(try models()[1].1(b)) { error in
            XCTAssertEqual(error as? FusionInputError, .nonFinite(modality: .visual, count: 1, total: 48))
        }
    }

    /// Zero tokens or zero regions (an empty text batch, no detector boxes) is a typed error naming the fix;
    /// an empty text inside a batch is one fully masked position, which works (see the test above).
    func testZeroTokensOrZeroRegionsIsATypedError() {
        for (name, model) in models() {
            var rng = RandomGenerator(seed: 1)
            let noText = FusionBatch(visual: Tensor.randn([2, 4, 6], using: &rng), text: Tensor(zeros: [2, 0, 5]))
            XCTAssertThrowsError(try model(noText), name) { error in
                XCTAssertEqual(error as? FusionInputError, .empty(modality: .text, shape: [2, 0, 5]), name)
                XCTAssertTrue("\(error)".contains("one padding position"), "\(error)")
            }
            let noRegions = FusionBatch(visual: Tensor(zeros: [2, 0, 6]), text: Tensor.randn([2, 3, 5], using: &rng))
            XCTAssertThrowsError(try model(noRegions), name) { error in
                XCTAssertEqual(error as? FusionInputError, .empty(modality: .visual, shape: [2, 0, 6]), name)
            }
        }
    }

    /// A batch of zero pairs is refused rather than giving a NaN mean loss.
    func testEmptyBatchIsATypedError() {
        for (name, model) in models() {
            let empty = FusionBatch(visual: Tensor(zeros: [0, 4, 6]), text: Tensor(zeros: [0, 3, 5]))
            XCTAssertThrowsError(try model(empty), name) { error in
                XCTAssertEqual(error as? FusionInputError, .empty(modality: .visual, shape: [0, 4, 6]), name)
                XCTAssertTrue("\(error)".contains("at least one"), "\(error)")
            }
        }
    }

    /// The visual mask is checked like the text one, including a mask of the wrong rank. (A mask of the wrong
    /// element type cannot be built: `Mask` holds only Bools, so that case is a compile error.)
    func testVisualMaskOfTheWrongShapeOrRank() {
        var rng = RandomGenerator(seed: 2)
        let visual = Tensor.randn([2, 4, 6], using: &rng), text = Tensor.randn([2, 3, 5], using: &rng)
        for (name, model) in models() {
            let wrongLength = FusionBatch(visual: visual, visualPaddingMask: .padding(lengths: [1, 2], maxLength: 3), text: text)
            XCTAssertThrowsError(try model(wrongLength), name) { error in
                XCTAssertEqual(error as? FusionInputError, .maskShape(modality: .visual, expected: [2, 4], found: [2, 3]), name)
            }
            let rankOne = FusionBatch(visual: visual, text: text, textPaddingMask: Mask(shape: [6], [Bool](repeating: false, count: 6)))
            XCTAssertThrowsError(try model(rankOne), name) { error in
                XCTAssertEqual(error as? FusionInputError, .maskShape(modality: .text, expected: [2, 3], found: [6]), name)
            }
        }
    }
}
