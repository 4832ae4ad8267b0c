import ArgumentParser
import CrossModal
import Distributed
import Foundation
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
            on the data generated in memory, or on `--data DIR` written by `sort-of-clevr generate`. Writes \
            results.json, loss-curves.png, relational-curves.png, non-relational-curves.png and attention heatmaps \
            to --out. Budget: 15,000 steps per model at peak learning rate 7e-4; `--quick` is the `make demo` budget: \
            the pooled-concat baseline and the co-attention stack, 4,000 steps each at learning rate 1e-3 with the \
            cosine ending at 4e-4 instead of 0, the co-attention model with its auxiliary classifier, evaluated every \
            1,000 steps. Under `mpirun -np N` each model trains data parallel, every rank on its share of each batch \
            (`make demo` starts 2 ranks); rank 0 prints and writes.
            """)

    @Option(parsing: .upToNextOption, help: "Models to train (default: concat, grid-mlp, cross-attention, co-attention; with --quick: concat, co-attention).")
    var models: [ImageTextModelConfig.Fusion] = []

    @Flag(help: "The short `make demo` run: 4,000 steps per model at learning rate 1e-3, its cosine ending at 4e-4 (or at --learning-rate, if lower) instead of 0, the co-attention model with its auxiliary classifier (evaluated every 1,000), instead of 15,000 at 7e-4; by default only concat and co-attention.")
    var quick = false

    /// Where the quick schedule's cosine ends: the runs that find their objects late still have the rate to
    /// learn the relational questions (docs/SORT_OF_CLEVR_GROUNDING.md).
    static let quickMinLearningRate: Float = 4e-4

    @Option(help: "A data set written by `sort-of-clevr generate` (default: generate in memory from --data-seed).")
    var data: String?

    @Option(help: "Training images to generate in memory (ignored with --data).")
    var trainImages = SortOfCLEVR.trainImages

    @Option(help: "Seed of the generated data set.")
    var dataSeed: UInt64 = 0

    @Option(help: "Training config (YAML, see docs/training-config.md); flags override it.")
    var config: String?

    @Option(help: "Images per step (the CNN runs once per image).")
    var imagesPerStep = 32

    @Option(help: "Questions drawn from each image per step (20 = all).")
    var questionsPerImage = 5

    @Option(help: "Question encoder: learned (a small Transformer trained with the model) or minilm (frozen all-MiniLM-L6-v2; `make models`).")
    var textEncoder: ImageTextModelConfig.TextEncoder = .learned

    @Option(help: "What the attention models' classifiers read: text (the question's stream alone) or both-streams (pooled regions ‖ pooled question, the reference module) (default: text for co-attention, both-streams for cross-attention; see docs/SORT_OF_CLEVR_GROUNDING.md).")
    var readout: CrossAttentionFusion.Readout?

    @Flag(inversion: .prefixedNo, help: "Let the co-attention model's regions attend to each other, with a bias by their distance on the grid (see docs/SORT_OF_CLEVR_GROUNDING.md).")
    var regionSelfAttention = true

    @Flag(help: "Let the reference cross-attention model's regions attend to each other once, with a bias by their distance on the grid, before its shared cross-attention layer (see docs/SORT_OF_CLEVR_GROUNDING.md).")
    var referenceRegionSelfAttention = false

    @Flag(inversion: .prefixedNo, help: "Bias the co-attention model's second look at the regions by where its first landed: near, far, and away from the regions it looked at (see docs/SORT_OF_CLEVR_GROUNDING.md).")
    var textPointer = true

    @Option(help: "Multiply the co-attention text's attention scores over the regions by this factor (1: PyTorch's 1/√(head width)); a sharper softmax finds the named object in fewer steps but can leave the CNN without shape features (see docs/SORT_OF_CLEVR_GROUNDING.md).")
    var textSharpening: Float = 1

    @Option(help: "Weight of the loss of the co-attention model's auxiliary classifier, which answers from both streams pooled during training only, so that the CNN learns shape while the question still learns where to look (default 1 with --quick, none otherwise; 0: none; see docs/SORT_OF_CLEVR_GROUNDING.md).")
    var auxiliaryLossWeight: Float?

    @Option(help: "Evaluate on the test split every this many steps (default 500, 1000 with --quick; 0 = only at the end).")
    var evalEvery: Int?

    @OptionGroup var options: ReproduceOptions

    func run() throws {
        let out = URL(fileURLWithPath: options.out ?? "runs/sort-of-clevr")
        let training = try TrainingConfig.forCommand(
            file: config, defaults: .commandDefaults(steps: 15000), steps: options.steps ?? (quick ? 4000 : nil),
            learningRate: options.learningRate ?? (quick ? 1e-3 : nil), evalEvery: evalEvery ?? (quick ? 1000 : nil),
            outputDir: out.path) { cfg in
            cfg.batchSize = imagesPerStep
            if quick { cfg.minLearningRate = min(Self.quickMinLearningRate, cfg.learningRate) }
            if let seed = options.seed { cfg.seed = seed }
        }
        let (train, test) = try manifests()
        let weight = auxiliaryLossWeight ?? (quick ? 1 : 0), auxiliaryWeight: Float? = weight == 0 ? nil : weight
        let root = Communicator.world.isRoot  // under mpirun, rank 0 reports
        if root {
            print("Sort-of-CLEVR: \(Set(train.entries.map(\.imageURL)).count) training images, \(Set(test.entries.map(\.imageURL)).count) "
                  + "test images, \(training.steps) steps of \(imagesPerStep) images × \(questionsPerImage) questions per model"
                  + (Communicator.world.size > 1 ? ", data parallel over \(Communicator.world.size) ranks" : ""))
        }
        let records = try options.compare(
            !models.isEmpty ? models : quick ? [.concat, .coAttention] : SortOfCLEVRSource.fusions,
            model: { SortOfCLEVRSource.model($0, textEncoder: textEncoder, width: options.width, readout: readout,
                                                       regionSelfAttention: regionSelfAttention,
                                                       referenceRegionSelfAttention: referenceRegionSelfAttention, textPointer: textPointer,
                                                       textSharpening: textSharpening, auxiliaryLossWeight: auxiliaryWeight) }, training: training,
            configure: { ($0.textsPerImage, $0.labelOrder) = (questionsPerImage, SortOfCLEVRSource.labels) },
            train: train, test: test, out: out, curves: SortOfCLEVRReport.curves, shown: ["group:relational", "group:non-relational"],
            candidates: test.entries.filter { $0.group?.hasPrefix("relational/") ?? false })
        guard root else { return }
        print("\n" + SortOfCLEVRReport.table(records))
        print("\nwrote results.json, curves and heatmaps to \(out.path); one model bundle per model in \(out.path)/<model>/")
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
}
