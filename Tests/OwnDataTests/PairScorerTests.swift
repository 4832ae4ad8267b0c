import Foundation
import NN
@testable import OwnData
import OwnDataFixtures
import Tensors
import Training
import XCTest

/// `PairScorer` gives, for every fusion, the score `ImageTextModel.scores` gives for the same pair, however the
/// pairs are chosen; its matrix is every image with every text.
final class PairScorerTests: XCTestCase {
    func testScoresEqualTheModelsForEveryFusion() throws {
        let data = try QuadrantData(images: 12)
        defer { data.remove() }
        for fusion in ImageTextModelConfig.Fusion.allCases {
            var config = QuadrantData.config(.match, fusion: fusion)
            config.mlpLayers = 1
            let run = ImageTextRun(model: config, training: TrainingConfig())
            let configured = try run.configured(for: try Manifest.load(data.url("train.jsonl")))
            let prepared = try InputPipeline(config: configured, cacheRoot: data.url("cache")).prepare(try Manifest.load(data.url("train.jsonl")))
            Random.seed(3)
            let model = try ImageTextModel(config: configured)
            model.eval()
            let scorer = try PairScorer(model: model, data: prepared)
            XCTAssertEqual(scorer.textCount, prepared.count)
            let images = [0, 3, 5, 5], texts = [2, 0, 5, 7]
            let direct = try Tape.withoutRecording {
                try model.scores(try model.fusionBatch(prepared.batch(examples: texts, imageIndices: images, owners: Array(0..<4))))
            }
            for (a, b) in zip(scorer.scores(images: images, texts: texts), direct.scalars) {
                XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), fusion.rawValue)
            }
            let matrix = scorer.matrix(), m = prepared.count
            XCTAssertEqual(matrix.count, prepared.imageCount * m)
            XCTAssertEqual(matrix[5 * m + 7], scorer.scores(images: [5], texts: [7])[0], accuracy: 1e-4 * max(1, abs(matrix[5 * m + 7])), fusion.rawValue)
        }
    }
}
