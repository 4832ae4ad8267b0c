import ArgumentParser
import Foundation
import OwnData
import Tasks
import Training

/// `crossmodal bench feature-cache`: what caching frozen features buys. Exports fashion scenes into a temporary
/// directory and trains the own-data matching model on them with an empty feature cache (the first epoch runs
/// EfficientNet-Lite0 and MiniLM over every image and caption), then again with the cache filled.
struct FeatureCacheBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feature-cache",
        abstract: "Own-data training images/s: the first epoch (features computed) vs cached-feature epochs.")

    @Option(help: "Training scenes (images).")
    var scenes = 320

    @Option(help: "Images per step.")
    var batchSize = 32

    @Option(help: "Epochs of training per run.")
    var epochs = 3

    func run() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("crossmodal-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let manifests = try FashionScenesExport.write(to: root.appendingPathComponent("data"), trainScenes: scenes, testScenes: 1, seed: 0)
        var model = ImageTextModelConfig(task: .match, fusion: .coAttention, imageEncoder: .efficientNetLite0, textEncoder: .minilm)
        model.width = 64
        var training = TrainingConfig()
        training.batchSize = batchSize
        training.steps = epochs * (scenes + batchSize - 1) / batchSize
        training.checkpointEvery = 0
        var results: [ImageTextRun.Result] = []
        for name in ["cold", "warm"] {
            training.outputDir = root.appendingPathComponent(name).path
            var run = ImageTextRun(model: model, training: training)
            run.cacheRoot = root.appendingPathComponent("cache")
            results.append(try run.run(train: manifests[0], val: nil, progress: ProgressReporter(style: .silent), log: { _ in }))
        }
        let epochSeconds = Double(scenes) / results[1].trainedExamplesPerSecond
        let first = Double(scenes) / (results[0].prepareSeconds + epochSeconds)
        let cached = Double(scenes) / epochSeconds
        print(String(format: "own data, %d fashion scenes, co-attention matching over frozen EfficientNet-Lite0 + MiniLM, %d cores: "
                     + "first epoch %.1f images/s (features computed in %.1f s), cached epochs %.1f images/s, cached/first %.1f×; "
                     + "a later run reads the cache in %.2f s",
                     scenes, ProcessInfo.processInfo.activeProcessorCount, first, results[0].prepareSeconds, cached, cached / first,
                     results[1].prepareSeconds))
    }
}
