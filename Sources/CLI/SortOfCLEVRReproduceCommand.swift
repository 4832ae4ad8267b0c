import ArgumentParser
import Foundation
import Imaging
import OwnData
import Tasks
import Training

/// `crossmodal sort-of-clevr reproduce`: trains every model under one budget on the one training path and
/// compares them.
struct SortOfCLEVRReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Trains concat, grid-MLP, cross-attention and co-attention models on Sort-of-CLEVR and prints the comparison.",
        discussion: """
            Each model is a `crossmodal train` run (small CNN from pixels, classify, the answers in labels.txt order) \
            on the generated data held in memory, or on `--data DIR` written by `sort-of-clevr generate`; its run \
            directory --out/<model>/ is a model bundle that `crossmodal eval` and `predict` read (checkpoints, \
            metrics.jsonl, curves). Writes results.json, loss-curves.png, relational-curves.png, \
            non-relational-curves.png and, for the attention models, attention-<model>-<n>.png heatmaps to --out. \
            `--quick` is the `make demo` budget (about 7 minutes on 2 cores): the pooled-concat baseline and the \
            co-attention stack, 4,000 steps each at learning rate 1e-3.
            """)

    @Option(parsing: .upToNextOption, help: "Models to train (default: concat, grid-mlp, cross-attention, co-attention; with --quick: concat, co-attention).")
    var models: [ImageTextModelConfig.Fusion] = []

    @Flag(help: """
        The short `make demo` run: 4,000 steps per model at learning rate 1e-3 instead of 15,000 at 7e-4, and by \
        default only the pooled-concat baseline and the co-attention stack (about 7 minutes on 2 cores).
        """)
    var quick = false

    @Option(help: "A data set written by `sort-of-clevr generate` (default: generate in memory from --data-seed).")
    var data: String?

    @Option(help: "Training images to generate in memory (ignored with --data).")
    var trainImages = SortOfCLEVR.trainImages

    @Option(help: "Seed of the generated data set.")
    var dataSeed: UInt64 = 0

    @Option(help: "Training config (YAML, see docs/training-config.md); flags below override it.")
    var config: String?

    @Option(help: "Training steps (default 15000; --quick 4000).")
    var steps: Int?

    @Option(help: "Peak learning rate (default 7e-4; --quick 1e-3).")
    var learningRate: Float?

    @Option(help: "Seed of initialisation and batches (default 0).")
    var seed: UInt64?

    @Option(help: "Images per step (the CNN runs once per image).")
    var imagesPerStep = 32

    @Option(help: "Questions drawn from each image per step (20 = all): fewer questions from more images gives the CNN more images per step at the same cost.")
    var questionsPerImage = 5

    @Option(help: "Fusion and question-encoder width.")
    var width = 64

    @Option(help: "Question encoder: learned (a small Transformer trained with the model) or minilm (frozen all-MiniLM-L6-v2; `make models`).")
    var textEncoder: ImageTextModelConfig.TextEncoder = .learned

    @Option(help: "Evaluate on the test split every this many steps (default 500; 0 = only at the end).")
    var evalEvery: Int?

    @Option(help: "Attention heatmaps to draw per attention model (relational test questions).")
    var heatmaps = 4

    @Flag(help: "Continue each model's run in --out/<model>/ from its newest valid checkpoint (a model not started yet starts).")
    var resume = false

    @Option(help: "Output directory (one model bundle per model, results, plots).")
    var out = "runs/sort-of-clevr"

    func run() throws {
        let fusions = !models.isEmpty ? models : quick ? [.concat, .coAttention] : SortOfCLEVRSource.fusions
        var training = try TrainingConfig.forCommand(
            file: config, defaults: .commandDefaults(steps: 15000), steps: steps ?? (quick ? 4000 : nil),
            learningRate: learningRate ?? (quick ? 1e-3 : nil), evalEvery: evalEvery, outputDir: out) { cfg in
            cfg.batchSize = imagesPerStep
            if let seed { cfg.seed = seed }
        }
        let (train, test) = try manifests()
        let outURL = URL(fileURLWithPath: out)
        print("Sort-of-CLEVR: \(Set(train.entries.map(\.imageURL)).count) training images, \(Set(test.entries.map(\.imageURL)).count) test images, "
              + "\(training.steps) steps of \(imagesPerStep) images × \(questionsPerImage) questions per model")
        let log: (String) -> Void = { FileHandle.standardError.write(Data(("  " + $0 + "\n").utf8)) }
        var runs: [SortOfCLEVRRun] = []
        for fusion in fusions {
            print("\ntraining \(fusion.rawValue)…")
            let directory = outURL.appendingPathComponent(fusion.rawValue)
            training.outputDir = directory.path
            var run = ImageTextRun(model: SortOfCLEVRSource.model(fusion, textEncoder: textEncoder, width: width), training: training)
            run.textsPerImage = questionsPerImage
            run.labelOrder = SortOfCLEVRSource.labels
            let result = try run.run(train: train, val: test, existing: resume ? .resume : .refuse, log: log)
            let record = SortOfCLEVRRun(result, directory: directory)
            print(String(format: "  %@: relational %.1f%%, non-relational %.1f%% after %.0f s", fusion.rawValue,
                         100 * record.accuracy(relational: true), 100 * record.accuracy(relational: false), record.seconds))
            runs.append(record)
            try SortOfCLEVRReport.write(runs, to: outURL)
            if fusion == .crossAttention || fusion == .coAttention {
                try writeHeatmaps(ImageTextPredictor(model: result.model), test: test, name: fusion.rawValue, to: outURL)
            }
        }
        print("\n" + SortOfCLEVRReport.table(runs))
        print("\nwrote results.json, loss-curves.png, relational- and non-relational-curves.png and attention heatmaps to \(outURL.path); "
              + "one model bundle per model in \(outURL.path)/<model>/")
    }

    /// The training and test examples: generated in memory, or the manifests of `--data`.
    private func manifests() throws -> (train: Manifest, test: Manifest) {
        guard let data else {
            return (SortOfCLEVRSource.manifest(.train, count: trainImages, seed: dataSeed),
                    SortOfCLEVRSource.manifest(.test, count: SortOfCLEVR.testImages, seed: dataSeed))
        }
        let root = URL(fileURLWithPath: data)
        return try (Manifest.load(root.appendingPathComponent("train/\(SortOfCLEVRFiles.manifestFile)")),
                    Manifest.load(root.appendingPathComponent("test/\(SortOfCLEVRFiles.manifestFile)")))
    }

    /// Each head's text→image attention for `heatmaps` relational test questions, evenly spaced, as
    /// `attention-<name>-<n>.png`.
    private func writeHeatmaps(_ predictor: ImageTextPredictor, test: Manifest, name: String, to directory: URL) throws {
        let relational = test.entries.filter { $0.group?.hasPrefix("relational/") ?? false }
        let picks = stride(from: 0, to: relational.count, by: max(1, relational.count / max(heatmaps, 1))).prefix(heatmaps)
        for (n, i) in picks.enumerated() {
            let entry = relational[i]
            let image = try entry.pixels ?? ImageFile.read(entry.imageURL)
            let answer = try predictor.answer(image: image, text: entry.text, topK: 1)[0]
            let caption = String(format: "answer: %@  model: %@ (%.0f%%)", entry.label ?? "?", answer.label, 100 * answer.probability)
            try PNG.write(try predictor.heatmap(image: image, text: entry.text, caption: caption),
                          to: directory.appendingPathComponent("attention-\(name)-\(n).png"))
        }
    }
}
