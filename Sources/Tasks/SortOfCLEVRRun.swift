import Foundation
import OwnData
import Training

/// One trained Sort-of-CLEVR model's results, from its run of the one training path (written to `results.json`
/// by `reproduce`): the evaluation per question kind, the loss and test-accuracy curves from the run's
/// `metrics.jsonl`, and where its model bundle is.
public struct SortOfCLEVRRun: Codable, Sendable {
    /// The fusion (`--fusion` of `crossmodal train`).
    public var model: String
    public var parameters: Int
    public var seconds: Double
    public var evaluation: ImageTextEvaluation
    /// [step, loss] per step.
    public var losses: [[Double]]
    /// [step, seconds of training, relational, non-relational test accuracy] at each evaluation.
    public var evaluations: [[Double]]
    /// The run directory: the model bundle `crossmodal eval` and `predict` read.
    public var bundle: String

    /// The record of a finished run (trained with the test split as its validation data) whose bundle is in
    /// `directory`.
    public init(_ result: ImageTextRun.Result, directory: URL) {
        guard let evaluation = result.evaluation else { preconditionFailure("SortOfCLEVRRun: a run without a test evaluation") }
        let records = MetricsLog.read(directory.appendingPathComponent("metrics.jsonl"))
        model = result.bundle.model.fusion.rawValue
        parameters = result.model.parameterCount
        seconds = result.summary.elapsedSeconds
        self.evaluation = evaluation
        losses = records.map { [Double($0.step), Double($0.loss)] }
        evaluations = records.compactMap { r in
            guard let rel = r.eval["group:relational"], let non = r.eval["group:non-relational"] else { return nil }
            return [Double(r.step), r.elapsedSeconds, rel, non]
        }
        bundle = directory.path
    }

    /// Test accuracy on relational (closest, furthest, count) or non-relational questions.
    public func accuracy(relational: Bool) -> Double { evaluation.accuracy(group: relational ? "relational" : "non-relational") }

    /// Test accuracy on questions of `kind`.
    public func accuracy(of kind: QuestionKind) -> Double { evaluation.accuracy(group: SortOfCLEVRSource.group(kind)) }

    /// Seconds of training until the test accuracy first reached `target` (relational or non-relational
    /// questions), or nil if it never did.
    public func secondsUntil(_ target: Double, relational: Bool) -> Double? {
        evaluations.first { $0[relational ? 2 : 3] >= target }.map { $0[1] }
    }
}
