import CrossModal
import Foundation
import NN
import Tensors
import Training

/// Trains and evaluates the fashion-scenes models under one budget (same features, width, steps, optimizer:
/// the `Trainer`'s AdamW, warm-up + cosine, clipping). Each step draws `config.batchSize` training scenes and
/// a fresh caption with fresh hard negatives for each (`FashionSceneCaption.random`, text features put
/// together from the clause features), so no model can memorise a scene's caption.
/// The matching models (concat, cross-attention) score each scene with four captions — its true caption, its
/// two hard negatives and another scene's true caption — and learn to rank the true one first (softmax
/// cross-entropy over the four scores); the dual encoder is trained contrastively, image→text over the
/// batch's true captions plus all their hard negatives, text→image over the batch's images.
public struct FashionScenesExperiment {
    public var config: TrainingConfig
    public var width = 64
    /// Test scenes used for the curves during training (matching only).
    public var curveScenes = 300
    public let features: FashionScenesFeatures

    public init(features: FashionScenesFeatures, config: TrainingConfig) {
        self.features = features
        self.config = config
    }

    public func makeModel(_ kind: FashionScenesModel.Kind) -> FashionScenesModel {
        Random.seed(config.seed)
        return FashionScenesModel(kind: kind, width: width)
    }

    /// The training loss of `model` on the scenes `rows` of the training split, each with a fresh caption and
    /// hard negatives drawn with `generator`.
    public static func loss(_ model: FashionScenesModel, split: FashionScenesFeatures.Split, clauses: FashionClauseFeatures,
                            rows: [Int], generator: inout RandomGenerator) throws -> Tensor {
        let b = rows.count
        let fresh = rows.map { FashionSceneCaption.random(for: split.scenes[$0].labels, using: &generator) }
        func batch(images: [Int], captions: [FashionSceneCaption]) -> FusionBatch {
            let (text, lengths) = clauses.text(captions)
            return FashionScenesModel.batch(regions: indexSelect(split.regions, axis: 0, indices: images), text: text, lengths: lengths)
        }
        if let dual = model.fusion as? DualEncoder {
            let batch = batch(images: rows, captions: fresh.map(\.caption) + fresh.map(\.swappedPositions) + fresh.map(\.swappedItems))
            let v = l2Normalize(maskedMean(dual.visualProjector(batch.visual), paddingMask: nil))
            let t = l2Normalize(maskedMean(dual.textProjector(batch.text), paddingMask: batch.textPaddingMask))
            let logits = mul(matmul(v, t, transposeB: true), exp(minimum(dual.logitScale, Tensor(DualEncoder.maxLogitScale))))
            let targets = Array(0..<b)
            let textToImage = transpose(slice(logits, axis: 1, 0..<b), 0, 1)
            return mul(add(crossEntropy(logits, targets: targets), crossEntropy(textToImage, targets: targets)), Tensor(0.5))
        }
        // Candidates per scene: its true caption, the two hard negatives and another scene's true caption;
        // a softmax over the four scores ranks the true caption first (what matching and retrieval measure).
        let images = rows.flatMap { [Int](repeating: $0, count: 4) }
        let captions = fresh.indices.flatMap { i in
            [fresh[i].caption, fresh[i].swappedPositions, fresh[i].swappedItems, fresh[(i + 1) % b].caption]
        }
        let scores = reshape(try model.scores(batch(images: images, captions: captions)), [b, 4])
        return crossEntropy(scores, targets: [Int](repeating: 0, count: b))
    }

    /// Trains `kind`, then evaluates it on the whole test split.
    public func run(_ kind: FashionScenesModel.Kind, progress: ProgressReporter = ProgressReporter()) throws -> FashionScenesRun {
        let model = makeModel(kind)
        var cfg = config
        cfg.outputDir = URL(fileURLWithPath: config.outputDir).appendingPathComponent(kind.rawValue).path
        let (train, test, clauses, batchSize, curveScenes) = (features.train, features.test, features.clauses, config.batchSize, curveScenes)
        try? FileManager.default.removeItem(atPath: cfg.outputDir)  // a fresh run: no stale metrics or checkpoints
        let trainer = try Trainer(
            model: model, config: cfg,
            loss: { model, _, data in
                var rows: [Int] = []
                while rows.count < batchSize {
                    let r = data.int(below: train.count)
                    if !rows.contains(r) { rows.append(r) }
                }
                return try Self.loss(model, split: train, clauses: clauses, rows: rows, generator: &data)
            },
            evaluate: { model in
                let e = try FashionScenesEvaluation(model: model, split: test, limit: curveScenes, retrieval: false)
                return ["swapped_positions": e.swappedPositions, "swapped_items": e.swappedItems]
            },
            progress: progress)
        let summary = try trainer.train()
        let records = MetricsLog.read(trainer.metricsURL)
        return FashionScenesRun(
            kind: kind, parameters: model.parameterCount, seconds: summary.elapsedSeconds,
            evaluation: try FashionScenesEvaluation(model: model, split: test),
            losses: records.map { [Double($0.step), Double($0.loss)] },
            positionCurve: records.compactMap { r in r.eval["swapped_positions"].map { [Double(r.step), $0] } },
            model: model)
    }
}

/// One trained model's results (written to `results.json` by `reproduce`).
public struct FashionScenesRun: Codable {
    public var kind: FashionScenesModel.Kind
    public var parameters: Int
    public var seconds: Double
    public var evaluation: FashionScenesEvaluation
    /// [step, loss] per logged step.
    public var losses: [[Double]]
    /// [step, swapped-position matching accuracy on the curve scenes] at each evaluation.
    public var positionCurve: [[Double]]
    /// The trained model (not encoded).
    public var model: FashionScenesModel?

    enum CodingKeys: String, CodingKey { case kind, parameters, seconds, evaluation, losses, positionCurve }
}
