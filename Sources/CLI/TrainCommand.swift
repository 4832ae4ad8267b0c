import ArgumentParser
import CrossModal
import Distributed
import Foundation
import OwnData
import Training

extension ImageTextModelConfig.Task: ExpressibleByArgument {}
extension ImageTextModelConfig.Fusion: ExpressibleByArgument {}
extension ImageTextModelConfig.ImageEncoder: ExpressibleByArgument {}
extension ImageTextModelConfig.TextEncoder: ExpressibleByArgument {}
extension CrossAttentionFusion.Readout: ExpressibleByArgument {}

/// `crossmodal train`: trains a fusion model on the user's own manifest of images and texts.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Trains a fusion model on your own images and texts (a JSONL or CSV manifest).",
        discussion: """
            Manifest lines: {"image": "rel/path.png", "text": "…", "label": "…"} (classify) or {"image": …, "text": …} \
            (match); an optional "group" is reported separately by evaluation; CSV files name the same columns in a \
            header. Image paths are relative to the manifest; PNG and JPEG. Frozen pretrained encoders run once per \
            image and text and their features are cached under ${CROSSMODAL_CACHE:-~/.cache/crossmodal}/features/, \
            keyed by content, so later runs and steps cost only the fusion model. --out gets bundle.json, \
            model.safetensors, checkpoints/, metrics.jsonl, evaluation.json, loss-curve.png and metrics-curve.png.
            """)

    @Option(help: "Training manifest (.jsonl, or .csv with a header).")
    var data: String

    @Option(help: "Validation manifest, evaluated every --eval-every steps and at the end.")
    var val: String?

    @Option(help: "classify (a label per image + text) or match (image–text matching and retrieval).")
    var task: ImageTextModelConfig.Task = .classify

    @Option(help: "cross-attention, co-attention, concat, grid-mlp (the flattened region grid ‖ pooled text → MLP) or dual-encoder (match only).")
    var fusion: ImageTextModelConfig.Fusion = .coAttention

    @Option(help: "efficientnet-lite0 (pretrained, features cached) or small-cnn (trained from pixels).")
    var imageEncoder: ImageTextModelConfig.ImageEncoder = .efficientNetLite0

    @Option(help: "minilm (pretrained, features cached), minilm-clauses (MiniLM per comma-separated clause, for captions of independent clauses) or learned (a small Transformer over the training words).")
    var textEncoder: ImageTextModelConfig.TextEncoder = .minilm

    @Flag(help: "Train through the pretrained encoders instead of caching their features (much slower).")
    var finetuneEncoders = false

    @Option(help: "Training config (YAML, see docs/training-config.md); flags below override it.")
    var config: String?

    @Option(help: "Training steps (default 3000).")
    var steps: Int?

    @Option(help: "Peak learning rate (default 7e-4).")
    var learningRate: Float?

    @Option(help: "Images per step (default 32).")
    var batchSize: Int?

    @Option(help: "Texts drawn from each image per classification step.")
    var textsPerImage = 5

    @Option(help: "Evaluate on --val every this many steps (default 500; 0 = only at the end).")
    var evalEvery: Int?

    @Option(help: "Random seed (initialisation and batches; default 0).")
    var seed: UInt64?

    @Option(help: "Fusion width.")
    var width = 64

    @Option(help: "Attention heads of cross-attention and co-attention (default 8).")
    var heads: Int?

    @Option(help: "Cross-modal layers (default 1 for cross-attention, 2 for co-attention).")
    var layers: Int?

    @Option(help: "What the cross-attention and co-attention classifiers read: both-streams (pooled regions ‖ pooled text, the default) or text (the text stream alone, as LXMERT answers).")
    var readout: CrossAttentionFusion.Readout?

    @Flag(help: "Let the regions attend to each other, with a bias by their distance on the grid: inside every co-attention layer, or once before the cross-attention layer.")
    var regionSelfAttention = false

    @Flag(help: "Co-attention: bias the text's attention in each layer after the first by where it looked in the layer before (near, far, and away from the regions it looked at).")
    var textPointer = false

    @Option(help: "Co-attention: multiply the text's attention scores over the regions by this factor (default 1: PyTorch's 1/√(head width)); a sharper softmax finds the named object in fewer steps but can leave a CNN trained with it without shape features (docs/SORT_OF_CLEVR_GROUNDING.md).")
    var textSharpening: Float?

    @Option(help: "Classification with --readout text: add the loss of a second classifier over both streams' pooled features, × this weight (training only; predictions use the main classifier; see docs/SORT_OF_CLEVR_GROUNDING.md).")
    var auxiliaryLossWeight: Float?

    @Option(help: "Hidden layers of the classifier MLP (default 2 for concat and grid-mlp, 1 for the attention fusions).")
    var mlpLayers: Int?

    @Option(help: "Side of the square images the small CNN reads.")
    var imageSize = 75

    @Option(help: "A text file of the labels in logit order, one per line (default: the training labels, sorted).")
    var labels: String?

    @Option(help: "Batches of images read from files built ahead of the training step (0 = each step decodes its own).")
    var prefetch = 4

    @Option(help: "Threads decoding each prefetched batch's images (1 keeps a small CNN at 75 px fed on 2 cores; see the README).")
    var workers = 1

    @Option(help: "Under mpirun: overlap (each gradient bucket's allreduce starts during the backward pass) or blocking (all after it).")
    var allreduce = "overlap"

    @Option(help: "Under mpirun: gradient bucket size in KiB (one allreduce each; PyTorch DDP's default is 25 MiB).")
    var bucketKib = 25 << 10

    @Flag(help: "Skip (and count) examples whose image cannot be read instead of stopping.")
    var skipBad = false

    @Flag(help: "Continue the run in --out from its newest valid checkpoint.")
    var resume = false

    @Flag(help: "Replace whatever --out holds.")
    var overwrite = false

    @Option(help: "Output directory (the model bundle).")
    var out: String

    func validate() throws {
        if resume && overwrite { throw ValidationError("--resume and --overwrite exclude each other") }
        if textsPerImage < 1 { throw ValidationError("--texts-per-image must be at least 1") }
        if prefetch < 0 { throw ValidationError("--prefetch must be 0 or more, got \(prefetch)") }
        if workers < 1 { throw ValidationError("--workers must be at least 1, got \(workers)") }
        if !["overlap", "blocking"].contains(allreduce) { throw ValidationError("--allreduce must be overlap or blocking, got \(allreduce)") }
        if bucketKib < 1 { throw ValidationError("--bucket-kib must be at least 1, got \(bucketKib)") }
    }

    func run() throws {
        let training = try TrainingConfig.forCommand(
            file: config, defaults: .commandDefaults(steps: 3000), steps: steps, learningRate: learningRate, evalEvery: evalEvery,
            outputDir: out) { cfg in
            if let batchSize { cfg.batchSize = batchSize }
            if let seed { cfg.seed = seed }
        }
        var model = ImageTextModelConfig(task: task, fusion: fusion, imageEncoder: imageEncoder, textEncoder: textEncoder)
        model.finetuneEncoders = finetuneEncoders
        model.width = width
        (model.heads, model.layers, model.readout, model.mlpLayers) = (heads, layers, readout, mlpLayers)
        model.regionSelfAttention = regionSelfAttention ? true : nil
        model.textPointer = textPointer ? true : nil
        model.textSharpening = textSharpening
        model.auxiliaryLossWeight = auxiliaryLossWeight
        model.imageSize = imageSize
        var run = ImageTextRun(model: model, training: training)
        run.textsPerImage = textsPerImage
        run.skipBad = skipBad
        (run.prefetch, run.workers) = (prefetch, workers)
        (run.overlapAllreduce, run.bucketBytes) = (allreduce == "overlap", bucketKib << 10)
        if let labels {
            guard let text = try? String(contentsOf: URL(fileURLWithPath: labels), encoding: .utf8) else {
                throw CommandError("cannot read the labels file \(labels) (expected UTF-8 text, one label per line); check the --labels path")
            }
            run.labelOrder = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let result = try run.run(train: URL(fileURLWithPath: data), val: val.map { URL(fileURLWithPath: $0) },
                                 existing: resume ? .resume : overwrite ? .overwrite : .refuse, log: log)
        guard Communicator.world.isRoot else { return }  // under mpirun, rank 0 reports
        print(String(format: "trained %d steps in %.1f s; data prepared in %.1f s, then %.0f training examples/s",
                     result.summary.endStep, result.summary.elapsedSeconds, result.prepareSeconds, result.trainedExamplesPerSecond)
              + (Communicator.world.size > 1 ? String(format: "; gradient allreduce %.3f s on rank 0 (waits for the slowest rank included)",
                                                      result.summary.allreduceSeconds) : ""))
        if let evaluation = result.evaluation { print(EvaluationReport.text(evaluation, config: result.bundle.model)) }
        print("model bundle: \(out) (bundle.json, model.safetensors)")
    }
}
