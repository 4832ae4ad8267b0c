import Foundation
import Imaging
import OwnDataFixtures
@testable import OwnData
import Training
import XCTest

/// Matching with the frozen pretrained encoders: features computed once and then read from the cache, the
/// dual encoder and an ALBEF-style matching model train, retrieval recall is computed both ways, and the
/// recall ranking counts ties against the model.
final class MatchingTests: XCTestCase {
    func testRecallRanksTheBestCorrectCandidateAndCountsTiesAgainstIt() {
        // Two images, three texts: text 0 and 1 belong to image 0, text 2 to image 1.
        let scores: [Float] = [0.1, 0.9, 0.9,  // image 0: its best text (1) ties with a wrong one (2) → rank 1
                               0.5, 0.2, 0.7]  // image 1: its text (2) is first
        XCTAssertEqual(ImageTextEvaluation.recall(queries: 2, candidates: 3, score: { scores[$0 * 3 + $1] },
                                                  correct: { [0, 0, 1][$1] == $0 }, ks: [1, 2]), [0.5, 1])
    }

    func testDualEncoderAndMatchingHeadTrainOnCachedPretrainedFeatures() throws {
        let data = try QuadrantData(images: 12)
        defer { data.remove() }
        var logged: [String] = []
        for (n, fusion) in [ImageTextModelConfig.Fusion.dualEncoder, .crossAttention].enumerated() {
            var config = ImageTextModelConfig(task: .match, fusion: fusion, imageEncoder: .efficientNetLite0, textEncoder: .minilm)
            config.width = 16
            var training = TrainingConfig()
            (training.steps, training.batchSize, training.evalEvery, training.outputDir) = (20, 6, 10, data.url("run-\(n)").path)
            var run = ImageTextRun(model: config, training: training)
            run.cacheRoot = data.url("cache")
            logged = []
            let result = try run.run(train: data.url("train.jsonl"), val: data.url("val.jsonl"), progress: ProgressReporter(style: .silent),
                                     log: { logged.append($0) })
            let e = try XCTUnwrap(result.evaluation)
            XCTAssertEqual(e.imageToText.count, 3)
            XCTAssertEqual(e.examples, 2)
            XCTAssertEqual(e.textToImage[2], 1, "2 images: every text's image is in the top 10")
            XCTAssertTrue(e.imageToText.allSatisfy { (0...1).contains($0) })
            XCTAssertNotNil(MetricsLog.read(data.url("run-\(n)/metrics.jsonl")).last?.eval["i2t_r1"])
        }
        // The second run found every image's and text's features in the cache.
        XCTAssertTrue(logged.contains { $0.hasPrefix("image features: all 10 from the cache") }, "\(logged)")
        XCTAssertFalse(logged.contains { $0.hasPrefix("text features:") }, "\(logged)")
    }
}
