import CrossModal
import Foundation
import NN
@testable import OwnData
import OwnDataFixtures
import Tensors
import Training
import XCTest

/// Matching for the fusion models is ALBEF's two losses: image–text matching plus the contrastive term over the
/// pooled projections at temperature 0.07. With the classifier zeroed every matching logit is 0, so the
/// matching term is exactly ln 2 whatever negatives were drawn, and the rest is the contrastive term by hand.
/// Classification with an auxiliary classifier adds its cross-entropy × the weight.
final class ImageTextLossTests: XCTestCase {
    func testClassificationWithAnAuxiliaryClassifierAddsItsCrossEntropyTimesTheWeight() throws {
        let data = try QuadrantData(images: 15)
        defer { data.remove() }
        let manifest = try Manifest.load(data.url("train.jsonl"))
        var model = QuadrantData.config(.classify, fusion: .coAttention)
        (model.readout, model.auxiliaryLossWeight) = (.text, 0.25)
        let config = try ImageTextRun(model: model, training: TrainingConfig()).configured(for: manifest)
        let prepared = try InputPipeline(config: config, cacheRoot: data.url("cache")).prepare(manifest)
        Random.seed(2)
        let fusion = try ImageTextModel(config: config)
        fusion.eval()
        var generator = RandomGenerator(seed: 4)
        let loss = try Tape.withoutRecording {
            try ImageTextLoss.classification(fusion, data: prepared, imagesPerStep: 4, textsPerImage: 2, using: &generator)
        }
        var again = RandomGenerator(seed: 4)
        let draw = ImageTextLoss.classificationDraw(data: prepared, imagesPerStep: 4, textsPerImage: 2, using: &again)
        let (logits, auxiliary) = try Tape.withoutRecording {
            try fusion.trainingLogits(try prepared.batch(examples: draw.examples, imageIndices: draw.images, owners: draw.owners))
        }
        let targets = draw.examples.map { prepared.labels[$0] }
        let main = crossEntropy(logits, targets: targets).scalars[0], extra = crossEntropy(try XCTUnwrap(auxiliary), targets: targets).scalars[0]
        XCTAssertEqual(loss.scalars[0], main + 0.25 * extra, accuracy: 1e-6)
        XCTAssertGreaterThan(extra, 0.1, "an untrained auxiliary classifier is not right")
    }

    func testFusionMatchingIsMatchingPlusTheContrastiveTermOverPooledProjections() throws {
        let data = try QuadrantData(images: 15)
        defer { data.remove() }
        for fusion in [ImageTextModelConfig.Fusion.crossAttention, .coAttention, .concat, .gridMLP] {
            let manifest = try Manifest.load(data.url("train.jsonl"))
            let config = try ImageTextRun(model: QuadrantData.config(.match, fusion: fusion), training: TrainingConfig()).configured(for: manifest)
            let prepared = try InputPipeline(config: config, cacheRoot: data.url("cache")).prepare(manifest)
            Random.seed(1)
            let model = try ImageTextModel(config: config)
            for (key, tensor) in model.namedParameters() where key.contains("classifier") { tensor.mutableData.update(repeating: 0, count: tensor.count) }
            model.eval()

            var generator = RandomGenerator(seed: 9)
            let loss = try Tape.withoutRecording { try ImageTextLoss.matching(model, data: prepared, batchSize: 6, using: &generator) }
            var again = RandomGenerator(seed: 9)
            let (images, examples) = ImageTextLoss.matchingDraw(data: prepared, batchSize: 6, using: &again)
            let fused = try model.fusionBatch(try prepared.batch(examples: examples, imageIndices: images, owners: Array(images.indices)))
            let contrastive = Tape.withoutRecording {
                contrastiveLoss(mul(matmul(ImageTextLoss.pooled(model.fusion, visual: fused.visual, mask: nil),
                                           ImageTextLoss.pooled(model.fusion, text: fused.text, mask: fused.textPaddingMask), transposeB: true),
                                    Tensor(1 / Float(0.07))))
            }
            XCTAssertEqual(loss.scalars[0], Float(log(2.0)) + contrastive.scalars[0], accuracy: 1e-5, fusion.rawValue)
            XCTAssertGreaterThan(contrastive.scalars[0], 0.1, "\(fusion.rawValue): an untrained model's projections are not aligned")
        }
    }
}
