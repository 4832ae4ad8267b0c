import ArgumentParser
import Encoders
import Foundation
import Tasks
import Training

extension FashionScenesModel.Kind: ExpressibleByArgument {}

/// `crossmodal fashion-scenes`: image–text matching and retrieval on 2×2 scenes of real Fashion-MNIST photos.
struct FashionScenesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fashion-scenes",
        abstract: "2×2 scenes of Fashion-MNIST articles with positional captions; frozen EfficientNet + MiniLM features.",
        subcommands: [FashionScenesReproduceCommand.self, FashionScenesExportCommand.self])
}

/// `crossmodal fashion-scenes reproduce`: extracts (or reads cached) features, trains the dual encoder, concat
/// and cross-attention models under one budget and prints the comparison.
struct FashionScenesReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Trains dual-encoder, concat and cross-attention models on fashion scenes and prints the comparison.",
        discussion: """
            Scenes: four Fashion-MNIST articles of distinct classes in a 2×2 grid (56×56, resized to 224), captioned \
            "a sneaker above a bag, a dress to the left of a coat". Metrics on the test scenes: how often the true \
            caption outscores the caption with two articles' positions swapped (swap-pos) or an article replaced \
            (swap-item), and retrieval R@1/5/10 over all test scenes. Every training step draws a fresh caption and \
            fresh negatives for each scene, put together from MiniLM features of each caption clause. Features \
            (EfficientNet-Lite0 regions, MiniLM clause tokens) are cached under \
            ${CROSSMODAL_CACHE:-~/.cache/crossmodal}/fashion-scenes/<settings hash>/. \
            Writes results.json, loss-curves.png, matching-curves.png and attention-<n>.png to --out, and each \
            model's checkpoints and metrics.jsonl to --out/<model>/. Needs `make models` and Debian's \
            dataset-fashion-mnist.
            """)

    @Option(parsing: .upToNextOption, help: "Models to train.")
    var models: [FashionScenesModel.Kind] = FashionScenesModel.Kind.allCases

    @Flag(help: "The short run: 1,000 training and 200 test scenes, 3,000 steps (6 minutes on one core once the features are cached).")
    var quick = false

    @Option(help: "Training scenes (default 4000; --quick 1000).")
    var trainScenes: Int?

    @Option(help: "Test scenes (default 1000; --quick 200).")
    var testScenes: Int?

    @Option(help: "Training steps per model (default 6000; --quick 3000).")
    var steps: Int?

    @Option(help: "Scenes per step.")
    var batchSize = 32

    @Option(help: "Peak learning rate (AdamW, warm-up then cosine).")
    var learningRate: Float = 1e-3

    @Option(help: "Width of the projections and the fusion layers.")
    var width = 64

    @Option(help: "Random seed (scenes, initialisation, batches).")
    var seed: UInt64 = 0

    @Option(help: "Attention heatmaps to draw (test scenes).")
    var heatmaps = 4

    @Option(help: "Output directory.")
    var out = "runs/fashion-scenes"

    func validate() throws {
        for (name, value) in [("--train-scenes", trainScenes), ("--test-scenes", testScenes), ("--steps", steps)] {
            if let value, value <= 0 { throw ValidationError("\(name) must be positive, got \(value)") }
        }
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2, got \(batchSize)") }
    }

    func run() throws {
        let train = trainScenes ?? (quick ? 1000 : 4000), test = testScenes ?? (quick ? 200 : 1000)
        guard batchSize <= train else { throw CommandError("--batch-size \(batchSize) exceeds the \(train) training scenes") }
        let start = Date()
        let features = try FashionScenesFeatures.load(trainScenes: train, testScenes: test, seed: seed) { print($0) }
        print(String(format: "features ready in %.0f s", Date().timeIntervalSince(start)))
        var config = TrainingConfig()
        config.steps = steps ?? (quick ? 3000 : 6000)
        config.batchSize = batchSize
        config.learningRate = learningRate
        config.warmupSteps = config.steps / 20
        config.evalEvery = max(1, config.steps / 10)
        config.checkpointEvery = config.steps
        config.keepCheckpoints = 1
        config.seed = seed
        config.outputDir = out
        var experiment = FashionScenesExperiment(features: features, config: config)
        experiment.width = width
        let outURL = URL(fileURLWithPath: out)
        print("fashion scenes: \(train) training and \(test) test scenes, \(config.steps) steps of \(batchSize) scenes per model")
        var runs: [FashionScenesRun] = []
        for kind in models {
            print("\ntraining \(kind.rawValue)…")
            let run = try experiment.run(kind)
            print(String(format: "  %@: swapped positions %.1f%%, swapped items %.1f%%, i→t R@1 %.1f%% after %.0f s", kind.rawValue,
                         100 * run.evaluation.swappedPositions, 100 * run.evaluation.swappedItems,
                         100 * run.evaluation.imageToText[0], run.seconds))
            runs.append(run)
            try FashionScenesReport.write(runs, to: outURL)
            if kind == .crossAttention, let model = run.model {
                let picks = stride(from: 0, to: test, by: max(1, test / max(heatmaps, 1))).prefix(heatmaps)
                try FashionScenesReport.writeHeatmaps(
                    model: model, split: features.test, clauses: features.clauses, data: FashionMNIST.load(.test),
                    tokenizer: SentenceEncoder.tokenizer(directory: ModelCache.directory(for: ModelCache.miniLM)),
                    scenes: Array(picks), to: outURL)
            }
        }
        print("\n" + FashionScenesReport.table(runs))
        print(String(format: "\ntotal %.0f s; wrote results.json, loss-curves.png, matching-curves.png and attention heatmaps to %@",
                     Date().timeIntervalSince(start), outURL.path))
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
