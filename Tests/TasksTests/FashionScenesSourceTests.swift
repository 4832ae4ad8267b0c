import Foundation
import OwnData
import Tasks
import Training
import XCTest

/// Fashion scenes through the one training path: the source's objective and evaluation train and judge each
/// model as the task's own model, experiment and evaluation code did before it was folded into `crossmodal
/// train`, and every run is a model bundle that scores captions (real encoders and Fashion-MNIST, tiny counts).
final class FashionScenesSourceTests: XCTestCase {
    /// The per-step losses, the test figures and the parameter counts that `FashionScenesExperiment` (the task's
    /// own code, removed in this change) printed at commit 3a84c3e for 16 training and 6 test scenes of seed 5:
    /// 4 steps of 4 scenes, width 16, learning rate 1e-3 after 1 warm-up step, training seed 5, curves on 3 test
    /// scenes. Its "cross-attention" is the one-layer, 4-head co-attention model.
    private let before: [ImageTextModelConfig.Fusion: (losses: [Float], metrics: [String: Double], parameters: Int)] = [
        .dualEncoder: ([2.7644641, 3.574903, 1.7410148, 2.701766],
                       ["swapped_positions": 2 / 6, "swapped_items": 3 / 6, "i2t_r1": 1 / 6, "i2t_r5": 5 / 6, "i2t_r10": 1,
                        "t2i_r1": 1 / 6, "t2i_r5": 1, "t2i_r10": 1], 27505),
        .concat: ([1.3913621, 1.3966503, 1.3885411, 1.3814236],
                  ["swapped_positions": 3 / 6, "swapped_items": 3 / 6, "i2t_r1": 1 / 6, "i2t_r5": 5 / 6, "i2t_r10": 1,
                   "t2i_r1": 1 / 6, "t2i_r5": 4 / 6, "t2i_r10": 1], 29746),
        .coAttention: ([1.3786896, 1.3830492, 1.3907287, 1.3838469],
                       ["swapped_positions": 2 / 6, "swapped_items": 3 / 6, "i2t_r1": 1 / 6, "i2t_r5": 5 / 6, "i2t_r10": 1,
                        "t2i_r1": 1 / 6, "t2i_r5": 5 / 6, "t2i_r10": 1], 34194),
    ]

    func testEveryModelTrainsAsTheTasksOwnCodeDidAndIsABundle() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fashion-source-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try FashionScenesSource(trainScenes: 16, testScenes: 6, seed: 5)
        XCTAssertEqual(source.trainManifest.entries.map(\.text), source.train.map(\.caption.text))
        for fusion in FashionScenesSource.fusions {
            var config = TrainingConfig()
            (config.steps, config.learningRate, config.warmupSteps, config.batchSize, config.evalEvery, config.seed) = (4, 1e-3, 1, 4, 2, 5)
            config.outputDir = dir.appendingPathComponent(fusion.rawValue).path
            var run = ImageTextRun(model: FashionScenesSource.model(fusion, width: 16), training: config)
            run.cacheRoot = dir.appendingPathComponent("cache")
            run.objective = source.objective(batchSize: 4)
            run.evaluation = source.evaluation(curveScenes: 3)
            let result = try run.run(train: source.trainManifest, val: source.testManifest, progress: ProgressReporter(style: .silent), log: { _ in })
            let reference = try XCTUnwrap(before[fusion])
            XCTAssertEqual(result.model.parameterCount, reference.parameters, fusion.rawValue)
            for (step, (a, b)) in zip(result.summary.losses, reference.losses).enumerated() {
                XCTAssertEqual(a, b, accuracy: 1e-4 * abs(b), "\(fusion.rawValue) step \(step)")
            }
            XCTAssertEqual(result.metrics, reference.metrics, fusion.rawValue)
            let record = ModelComparison.Record(result, name: fusion.rawValue, directory: URL(fileURLWithPath: config.outputDir))
            XCTAssertEqual(record.evaluations.compactMap { $0["swapped_positions"] != nil ? $0["step"] : nil }, [2, 4],
                           "swapped-position accuracy at each evaluation")
            let table = FashionScenesReport.table([record])
            XCTAssertTrue(table.split(separator: "\n")[1].hasPrefix(fusion.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
                + String(format: "  %7.1f%%  %8.1f%%", 100 * reference.metrics["swapped_positions"]!, 100 * reference.metrics["swapped_items"]!)), table)
            guard fusion == .coAttention else { continue }  // one bundle read back is enough (each loads EfficientNet)
            let (bundle, model) = try ModelBundle.load(URL(fileURLWithPath: config.outputDir))
            XCTAssertEqual(bundle.model.textEncoder, .minilmClauses)
            let scene = source.test[0], predictor = ImageTextPredictor(model: model, cacheRoot: run.cacheRoot)
            let scores = try predictor.match(image: XCTUnwrap(source.testManifest.entries[0].pixels), texts: scene.captions.map(\.text))
            XCTAssertEqual(scores.count, 3)
            XCTAssertTrue(scores.allSatisfy { $0.score.isFinite })
        }
    }
}
