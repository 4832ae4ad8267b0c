import ArgumentParser
import Foundation
import OwnData
import Tasks
import Training

/// `crossmodal fashion-scenes`: image–text matching and retrieval on 2×2 scenes of real Fashion-MNIST photos.
struct FashionScenesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fashion-scenes",
        abstract: "2×2 scenes of Fashion-MNIST articles with positional captions; frozen EfficientNet + MiniLM features.",
        subcommands: [FashionScenesReproduceCommand.self, FashionScenesExportCommand.self])
}

/// `crossmodal fashion-scenes reproduce`: trains the dual encoder, concat and co-attention models under one budget
/// on the one training path and prints the comparison.
struct FashionScenesReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Trains dual-encoder, concat and co-attention models on fashion scenes and prints the comparison.",
        discussion: """
            Scenes: four Fashion-MNIST articles of distinct classes in a 2×2 grid (56×56, resized to 224), captioned \
            "a sneaker above a bag, a dress to the left of a coat". Each model is a `crossmodal train --task match` run \
            over frozen EfficientNet-Lite0 regions and MiniLM clause features (`--text-encoder minilm-clauses`, cached \
            under ${CROSSMODAL_CACHE:-~/.cache/crossmodal}/features/); every training step draws a fresh caption and \
            fresh hard negatives for each scene. Metrics on the test scenes: how often the true caption outscores the \
            caption with two articles' positions swapped (swap-pos) or an article replaced (swap-item), and retrieval \
            R@1/5/10 over all test scenes. Each model's run directory --out/<model>/ is a model bundle that \
            `crossmodal predict` answers from; --out gets results.json, loss-curves.png, matching-curves.png and \
            attention-<model>-<n>.png. Budget: 6,000 steps of 32 scenes per model at learning rate 1e-3 (--quick: 3,000). \
            --seed also draws the scenes (the test scenes with seed + 1). Needs `make models` and Debian's dataset-fashion-mnist.
            """)

    @Option(parsing: .upToNextOption, help: "Models to train (default: dual-encoder, concat, co-attention).")
    var models: [ImageTextModelConfig.Fusion] = FashionScenesSource.fusions

    @Flag(help: "The short run: 1,000 training and 200 test scenes, 3,000 steps (6 minutes on one core once the features are cached).")
    var quick = false

    @Option(help: "Training scenes (default 4000; --quick 1000).")
    var trainScenes: Int?

    @Option(help: "Test scenes (default 1000; --quick 200).")
    var testScenes: Int?

    @Option(help: "Scenes per step.")
    var batchSize = 32

    @OptionGroup var options: ReproduceOptions

    func validate() throws {
        for (name, value) in [("--train-scenes", trainScenes), ("--test-scenes", testScenes)] {
            if let value, value <= 0 { throw ValidationError("\(name) must be positive, got \(value)") }
        }
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2, got \(batchSize)") }
    }

    func run() throws {
        let train = trainScenes ?? (quick ? 1000 : 4000), test = testScenes ?? (quick ? 200 : 1000)
        guard batchSize <= train else { throw CommandError("--batch-size \(batchSize) exceeds the \(train) training scenes") }
        let start = Date()
        let seed = options.seed ?? 0
        let source = try FashionScenesSource(trainScenes: train, testScenes: test, seed: seed)
        var config = TrainingConfig()
        config.steps = options.steps ?? (quick ? 3000 : 6000)
        (config.batchSize, config.learningRate, config.seed) = (batchSize, options.learningRate ?? 1e-3, seed)
        (config.warmupSteps, config.evalEvery) = (config.steps / 20, max(1, config.steps / 10))
        (config.checkpointEvery, config.keepCheckpoints) = (config.steps, 1)
        print("fashion scenes: \(train) training and \(test) test scenes, \(config.steps) steps of \(batchSize) scenes per model")
        let out = URL(fileURLWithPath: options.out ?? "runs/fashion-scenes")
        let records = try options.compare(
            models, model: { FashionScenesSource.model($0, width: options.width) }, training: config,
            configure: { ($0.objective, $0.evaluation) = (source.objective(batchSize: batchSize), source.evaluation()) },
            train: source.trainManifest, test: source.testManifest, out: out, curves: FashionScenesReport.curves,
            shown: ["swapped_positions", "swapped_items", "i2t_r1"],
            candidates: source.testManifest.entries)
        print("\n" + FashionScenesReport.table(records))
        print(String(format: "\ntotal %.0f s; wrote results.json, curves and heatmaps to %@; one model bundle per model in %@/<model>/",
                     Date().timeIntervalSince(start), out.path, out.path))
    }
}

/// `crossmodal fashion-scenes export`: the scenes as PNGs with JSONL manifests, for `crossmodal train --task match`.
struct FashionScenesExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Writes fashion scenes as PNG images with train.jsonl / test.jsonl manifests (image, true caption).",
        discussion: "The same scenes as `reproduce` for the same counts and seed. Needs Debian's dataset-fashion-mnist.")

    @Option(help: "Output directory (must not exist or be empty).")
    var out: String

    @Option(help: "Training scenes.")
    var trainScenes = 1000

    @Option(help: "Test scenes.")
    var testScenes = 200

    @Option(help: "Random seed of the scenes.")
    var seed: UInt64 = 0

    func run() throws {
        let manifests = try FashionScenesExport.write(to: URL(fileURLWithPath: out), trainScenes: trainScenes, testScenes: testScenes, seed: seed)
        print("wrote \(trainScenes + testScenes) scenes and \(manifests.map(\.path).joined(separator: ", "))")
    }
}
