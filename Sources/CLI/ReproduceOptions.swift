import ArgumentParser
import Foundation
import OwnData
import Training

/// What every task's `reproduce` shares: the budget flags, and training one model bundle per fusion on the one
/// training path (`ModelComparison`), with heatmaps for the attention models.
struct ReproduceOptions: ParsableArguments {
    @Option(help: "Training steps per model (default: the task's, see above).")
    var steps: Int?

    @Option(help: "Peak learning rate (default: the task's, see above).")
    var learningRate: Float?

    @Option(help: "Seed of initialisation and batches (default 0).")
    var seed: UInt64?

    @Option(help: "Width of the projections and the fusion layers.")
    var width = 64

    @Option(help: "Attention heatmaps to draw per attention model (test examples).")
    var heatmaps = 4

    @Flag(help: "Continue each model's run in --out/<model>/ from its newest valid checkpoint (a model not started yet starts).")
    var resume = false

    @Flag(help: "Replace what --out/<model>/ holds.")
    var overwrite = false

    @Option(help: "Output directory: one model bundle per model in <out>/<model>/, results.json, curves and heatmaps (default: runs/<task>).")
    var out: String?

    func validate() throws {
        if resume && overwrite { throw ValidationError("--resume and --overwrite exclude each other") }
        if let steps, steps <= 0 { throw ValidationError("--steps must be positive, got \(steps)") }
    }

    /// Trains `fusions` (each `model(fusion)`, set up further by `configure`) on `train`, evaluating on `test`,
    /// into `out`, printing each model's `shown` metrics; draws heatmaps of `heatmaps` examples spread evenly over
    /// `candidates` for the attention fusions.
    func compare(_ fusions: [ImageTextModelConfig.Fusion], model: (ImageTextModelConfig.Fusion) -> ImageTextModelConfig,
                 training: TrainingConfig, configure: (inout ImageTextRun) -> Void = { _ in }, train: Manifest, test: Manifest,
                 out: URL, curves: [ModelComparison.Curve], shown: [String], candidates: [ManifestEntry]) throws -> [ModelComparison.Record] {
        let examples = stride(from: 0, to: candidates.count, by: max(1, candidates.count / max(heatmaps, 1))).prefix(heatmaps).map { candidates[$0] }
        let runs = fusions.map { fusion in
            var run = ImageTextRun(model: model(fusion), training: training)
            configure(&run)
            return (name: fusion.rawValue, run: run)
        }
        let log: (String) -> Void = { FileHandle.standardError.write(Data(("  " + $0 + "\n").utf8)) }
        return try ModelComparison.run(runs, train: train, val: test, out: out, existing: resume ? .resume : overwrite ? .overwrite : .refuse,
                                       curves: curves, log: log, starting: { print("\ntraining \($0)…") }) { record, result in
            print("  \(record.model): " + shown.map { String(format: "%@ %.1f%%", $0, 100 * (record.metrics[$0] ?? .nan)) }.joined(separator: ", ")
                  + String(format: " after %.0f s", record.seconds))
            if [.crossAttention, .coAttention].contains(result.bundle.model.fusion) {
                try ModelComparison.writeHeatmaps(ImageTextPredictor(model: result.model), examples: examples,
                                                  name: "attention-\(record.model)", to: out)
            }
        }
    }
}
