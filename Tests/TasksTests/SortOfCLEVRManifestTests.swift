import Foundation
import OwnData
import Tasks
import Training
import XCTest

/// `sort-of-clevr generate` writes a manifest and a label list with which `crossmodal train` (the own-data
/// path: small CNN, learned text, co-attention) trains the very model `sort-of-clevr train` does: the same
/// batches, weights and losses, and the same test accuracy per question group.
final class SortOfCLEVRManifestTests: XCTestCase {
    func testTrainingOnTheGeneratedManifestRepeatsSortOfCLEVRTraining() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("soc-manifest-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        try SortOfCLEVRFiles.generate(to: data, train: 12, test: 4, seed: 3)
        var config = TrainingConfig()
        (config.steps, config.learningRate, config.warmupSteps, config.batchSize) = (8, 1e-3, 2, 4)
        config.outputDir = dir.appendingPathComponent("sort-of-clevr").path
        var experiment = SortOfCLEVRExperiment(train: try SortOfCLEVRFiles.load(data, split: .train),
                                               test: try SortOfCLEVRFiles.load(data, split: .test), config: config)
        (experiment.imagesPerStep, experiment.questionsPerImage, experiment.width) = (4, 5, 16)
        let reference = try experiment.run(.coAttention, progress: ProgressReporter(style: .silent))

        var model = ImageTextModelConfig(task: .classify, fusion: .coAttention, imageEncoder: .smallCNN, textEncoder: .learned)
        model.width = 16
        config.outputDir = dir.appendingPathComponent("own").path
        var run = ImageTextRun(model: model, training: config)
        run.textsPerImage = 5
        run.labelOrder = try String(contentsOf: data.appendingPathComponent(SortOfCLEVRFiles.labelsFile), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(run.labelOrder, SortOfCLEVRAnswer.allCases.map(\.description))
        let own = try run.run(train: data.appendingPathComponent("train/manifest.jsonl"), val: data.appendingPathComponent("test/manifest.jsonl"),
                              progress: ProgressReporter(style: .silent), log: { _ in })
        XCTAssertEqual(own.bundle.model.vocabulary, SortOfCLEVR.vocabulary.words)
        XCTAssertEqual(own.summary.losses.map(Double.init), reference.losses.map { $0[1] })
        let e = try XCTUnwrap(own.evaluation)
        XCTAssertEqual(e.accuracy(group: "relational"), reference.evaluation.relational)
        XCTAssertEqual(e.accuracy(group: "non-relational"), reference.evaluation.nonRelational)
    }
}
