import Foundation
import Imaging
import OwnData
import OwnDataFixtures
import Training

/// Tiny bundles trained once per test process for the serving tests (small CNN + learned text encoder on the
/// quadrant data, a few steps): a co-attention classifier, a concat classifier (no attention maps) and a
/// cross-attention matcher.
enum ServingBundles {
    nonisolated(unsafe) private static var trained: (data: QuadrantData, classify: URL, concat: URL, match: URL)?
    private static let lock = NSLock()

    static var data: QuadrantData { get throws { try all().data } }
    static var classify: URL { get throws { try all().classify } }
    static var concat: URL { get throws { try all().concat } }
    static var match: URL { get throws { try all().match } }

    /// A quadrant image as PNG bytes (a coloured square in one quadrant).
    static func png(_ index: Int) throws -> Data { try Data(contentsOf: try data.url("images/\(index).png")) }

    private static func all() throws -> (data: QuadrantData, classify: URL, concat: URL, match: URL) {
        lock.lock()
        defer { lock.unlock() }
        if let trained { return trained }
        let data = try QuadrantData(images: 24)
        func train(_ name: String, _ config: ImageTextModelConfig) throws -> URL {
            var training = TrainingConfig()
            (training.steps, training.batchSize, training.learningRate) = (30, 8, 3e-3)
            (training.evalEvery, training.checkpointEvery) = (30, 30)
            training.outputDir = data.url(name).path
            var run = ImageTextRun(model: config, training: training)
            run.cacheRoot = data.url("cache")
            _ = try run.run(train: data.url("train.jsonl"), val: data.url("val.jsonl"), progress: ProgressReporter(style: .silent), log: { _ in })
            return data.url(name)
        }
        trained = (data, try train("classify", QuadrantData.config()), try train("concat", QuadrantData.config(fusion: .concat)),
                   try train("match", QuadrantData.config(.match, fusion: .crossAttention)))
        return trained!
    }
}
