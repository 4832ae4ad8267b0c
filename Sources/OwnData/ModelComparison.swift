import Distributed
import Foundation
import Imaging
import Training

/// Several models trained on the same data under one budget, each an `ImageTextRun` whose directory
/// `out/<name>/` is its model bundle: what the task reproductions compare. Writes `results.json` (one `Record`
/// per model), `loss-curves.png` and one chart per compared metric over wall time, and attention heatmaps.
public enum ModelComparison {
    /// One trained model's results.
    public struct Record: Codable, Sendable {
        /// The name it was trained under (its fusion, for the reproductions).
        public var model: String
        public var parameters: Int
        public var seconds: Double
        /// The figures of the evaluation after training.
        public var metrics: [String: Double]
        /// [step, loss] per step.
        public var losses: [[Double]]
        /// Each evaluation during training: its metrics, with `step` and `seconds` (of training) added.
        public var evaluations: [[String: Double]]
        /// The run directory: the model bundle `crossmodal eval` and `predict` read.
        public var bundle: String

        /// The record of a finished run whose bundle is in `directory`, trained as `name`.
        public init(_ result: ImageTextRun.Result, name: String, directory: URL) {
            let records = MetricsLog.read(directory.appendingPathComponent("metrics.jsonl"))
            (model, parameters, seconds, metrics) = (name, result.model.parameterCount, result.summary.elapsedSeconds, result.metrics)
            losses = records.map { [Double($0.step), Double($0.loss)] }
            evaluations = records.filter { !$0.eval.isEmpty }.map { $0.eval.merging(["step": Double($0.step), "seconds": $0.elapsedSeconds]) { $1 } }
            bundle = directory.path
        }

        /// Seconds of training until `metric` first reached `target` at an evaluation, or nil if it never did.
        public func secondsUntil(_ target: Double, metric: String) -> Double? {
            evaluations.first { ($0[metric] ?? -.infinity) >= target }?["seconds"]
        }
    }

    /// Trains each of `runs` (name, run) on `train`, evaluating on `val`, in `out/<name>/`; `starting` gets each
    /// name first, and after each model `finished` gets its record and result, then `results.json` and the curves of `curves` are rewritten, so a
    /// comparison stopped half-way keeps what it has. Under `mpirun` every rank trains each model on its share of the
    /// batch (`ImageTextRun`), and rank 0 alone reports and writes: the other ranks return no records.
    public static func run(_ runs: [(name: String, run: ImageTextRun)], train: Manifest, val: Manifest, out: URL,
                           existing: RunDirectory.Existing, curves: [Curve], log: @escaping (String) -> Void,
                           starting: (String) -> Void = { _ in }, finished: (Record, ImageTextRun.Result) throws -> Void) throws -> [Record] {
        let root = Communicator.world.isRoot
        var records: [Record] = []
        for (name, run) in runs {
            if root { starting(name) }
            var run = run
            let directory = out.appendingPathComponent(name)
            run.training.outputDir = directory.path
            let result = try run.run(train: train, val: val, existing: existing, log: log)
            guard root else { continue }
            let record = Record(result, name: name, directory: directory)
            records.append(record)
            try finished(record, result)
            try write(records, to: out, curves: curves)
        }
        return records
    }

    /// A chart of one evaluation metric (in %) against seconds of training, one line per model.
    public struct Curve: Sendable {
        public var title: String, metric: String, file: String
        public init(title: String, metric: String, file: String) { (self.title, self.metric, self.file) = (title, metric, file) }
    }

    /// Writes `records` as `results.json`, their smoothed losses as `loss-curves.png` and each of `curves`, all
    /// into `directory`.
    public static func write(_ records: [Record], to directory: URL, curves: [Curve]) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(records).write(to: directory.appendingPathComponent("results.json"), options: .atomic)
        func chart(_ title: String, _ points: (Record) -> [(x: Double, y: Double)]) -> RGBImage {
            let colors = LineChart.palette
            return LineChart(title: title, series: records.enumerated().map { i, record in
                LineChart.Series(name: record.model, color: colors[i % colors.count], points: points(record))
            }).render()
        }
        try PNG.write(chart("training loss") { TrainingCurves.smoothed($0.losses) }, to: directory.appendingPathComponent("loss-curves.png"))
        for curve in curves {
            try PNG.write(chart(curve.title) { $0.evaluations.compactMap { e in e[curve.metric].map { (e["seconds"] ?? 0, 100 * $0) } } },
                          to: directory.appendingPathComponent(curve.file))
        }
    }

    /// Each head's text→image attention for `examples` as `<name>-<n>.png` in `directory`, captioned with the
    /// model's answer (and the expected label) or its match score.
    public static func writeHeatmaps(_ predictor: ImageTextPredictor, examples: [ManifestEntry], name: String, to directory: URL) throws {
        for (n, entry) in examples.enumerated() {
            let image = try entry.pixels ?? ImageFile.read(entry.imageURL)
            let caption: String
            if predictor.model.config.task == .classify {
                let answer = try predictor.answer(image: image, text: entry.text, topK: 1)[0]
                caption = String(format: "answer: %@  model: %@ (%.0f%%)", entry.label ?? "?", answer.label, 100 * answer.probability)
            } else {
                let match = try predictor.match(image: image, texts: [entry.text])[0]
                caption = String(format: "score %.3f", match.score) + (match.probability.map { String(format: "  P(match) %.1f%%", 100 * $0) } ?? "")
            }
            try PNG.write(try predictor.heatmap(image: image, text: entry.text, caption: caption),
                          to: directory.appendingPathComponent("\(name)-\(n).png"))
        }
    }
}
