import Foundation
import NN
import Tensors
import Training

/// Trains and evaluates Sort-of-CLEVR models under one budget: the same data, encoders, widths, steps and
/// optimizer (the `Trainer`'s AdamW, warm-up + cosine, clipping, checkpoints in `outputDir/<model>/`).
/// Each step draws `imagesPerStep` training images and `questionsPerImage` of the 20 questions of each, so the
/// CNN runs once per image.
public struct SortOfCLEVRExperiment {
    public var config: TrainingConfig
    public var imagesPerStep = 32
    /// Questions drawn from each image per step (20 = all).
    public var questionsPerImage = 5
    public var width = 64
    /// Frozen pretrained question features (MiniLM) instead of the learned question encoder.
    public var frozenText: FrozenTextFeatures?
    public let train: SortOfCLEVRDataset
    public let test: SortOfCLEVRDataset

    public init(train: SortOfCLEVRDataset, test: SortOfCLEVRDataset, config: TrainingConfig) {
        self.train = train
        self.test = test
        self.config = config
    }

    /// A fresh model of `kind`, initialised from `config.seed`.
    public func makeModel(_ kind: SortOfCLEVRModel.Kind) -> SortOfCLEVRModel {
        Random.seed(config.seed)
        return SortOfCLEVRModel(kind: kind, width: width, vocabularySize: train.vocabulary.words.count, maxTokens: train.maxTokens,
                                frozenText: frozenText)
    }

    /// Trains `kind` (resuming from its newest checkpoint when `resume`), then evaluates it on the test split.
    public func run(_ kind: SortOfCLEVRModel.Kind, resume: Bool = false, progress: ProgressReporter = ProgressReporter()) throws -> SortOfCLEVRRun {
        let model = makeModel(kind)
        var cfg = config
        cfg.outputDir = URL(fileURLWithPath: config.outputDir).appendingPathComponent(kind.rawValue).path
        let (train, test, imagesPerStep, questionsPerImage) = (self.train, self.test, self.imagesPerStep, self.questionsPerImage)
        let trainer = try Trainer(
            model: model, config: cfg,
            loss: { model, _, data in
                let images = (0..<imagesPerStep).map { _ in data.int(below: train.images.count) }
                let batch = train.batch(imageIndices: images, questionsPerImage: questionsPerImage, using: &data)
                return crossEntropy(try model(batch), targets: batch.answers)
            },
            evaluate: { model in
                model.recomputeBatchNormStatistics(on: train)
                let e = try SortOfCLEVREvaluation(model: model, dataset: test)
                return ["accuracy": e.accuracy(), "relational": e.relational, "non_relational": e.nonRelational]
            },
            progress: progress)
        if resume { try trainer.resume() }
        let summary = try trainer.train()
        model.recomputeBatchNormStatistics(on: train)
        let records = MetricsLog.read(trainer.metricsURL)
        return SortOfCLEVRRun(
            kind: kind, parameters: model.parameterCount, seconds: summary.elapsedSeconds,
            evaluation: try SortOfCLEVREvaluation(model: model, dataset: test),
            losses: records.map { [Double($0.step), Double($0.loss)] },
            evaluations: records.compactMap { r in
                guard let rel = r.eval["relational"], let non = r.eval["non_relational"] else { return nil }
                return [Double(r.step), r.elapsedSeconds, rel, non]
            },
            checkpoint: summary.lastCheckpoint?.path)
    }
}

/// One trained model's results (written to `results.json` by `reproduce`).
public struct SortOfCLEVRRun: Codable, Sendable {
    public var kind: SortOfCLEVRModel.Kind
    public var parameters: Int
    public var seconds: Double
    public var evaluation: SortOfCLEVREvaluation
    /// [step, loss] per step.
    public var losses: [[Double]]
    /// [step, seconds of training, relational, non-relational test accuracy] at each evaluation.
    public var evaluations: [[Double]]
    /// The final checkpoint's directory.
    public var checkpoint: String?

    /// Seconds of training until the test accuracy first reached `target` (relational or non-relational
    /// questions), or nil if it never did.
    public func secondsUntil(_ target: Double, relational: Bool) -> Double? {
        evaluations.first { $0[relational ? 2 : 3] >= target }.map { $0[1] }
    }
}
