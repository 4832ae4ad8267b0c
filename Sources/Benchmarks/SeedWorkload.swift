import CrossModal
import Foundation
import NN
import Optim
import Tensors

/// The guide's seed workload at a given batch size and text length: the seed model (CrossAttentionFusion with
/// one shared cross-attention layer and a Linear classifier), seeded inputs and labels, AdamW(lr 1e-4).
/// Text lengths are drawn uniformly in 8…T (1…T when T < 8), labels in 0..<classes.
public struct SeedWorkload {
    public static let (visualDim, textDim, width, heads, classes, regions) = (768, 512, 768, 8, 10, 50)

    public let batchSize: Int
    public let textLength: Int
    public let model: CrossAttentionFusion
    public let batch: FusionBatch
    public let lengths: [Int]
    public let labels: [Int]

    public init(batchSize: Int, textLength: Int) {
        self.batchSize = batchSize
        self.textLength = textLength
        Random.seed(0)
        model = CrossAttentionFusion(
            visualDim: Self.visualDim, textDim: Self.textDim, width: Self.width, heads: Self.heads, layers: 1,
            kind: .crossAttention(.shared), dropout: 0.1, hidden: [], classes: Self.classes)
        var rng = RandomGenerator(seed: 1)
        let visual = Tensor.randn([batchSize, Self.regions, Self.visualDim], using: &rng)
        let text = Tensor.randn([batchSize, textLength, Self.textDim], using: &rng)
        let shortest = min(8, textLength)
        lengths = (0..<batchSize).map { _ in shortest + rng.int(below: textLength - shortest + 1) }
        labels = (0..<batchSize).map { _ in rng.int(below: Self.classes) }
        batch = FusionBatch(visual: visual, text: text, textPaddingMask: .padding(lengths: lengths, maxLength: textLength))
    }

    /// Matmul FLOPs of one forward pass, counted from the shapes: projectors, Q/KV in-projections, scores
    /// and weighted sums, out-projections of both directions, and the classifier. `unpadded` counts only
    /// the valid text tokens (what Swift executes); otherwise padded positions are included, as PyTorch runs
    /// them (the guide's 15.39 GFLOP at the seed shapes).
    public func forwardFLOPs(unpadded: Bool = false) -> Double {
        let (b, r, e) = (Double(batchSize), Double(Self.regions), Double(Self.width))
        let (v, x, c) = (Double(Self.visualDim), Double(Self.textDim), Double(Self.classes))
        let tokens = Double(unpadded ? lengths.reduce(0, +) : batchSize * textLength)  // text rows
        let projectors = 2 * b * r * v * e + 2 * tokens * x * e
        let inProjections = 2 * b * r * e * e + 2 * tokens * e * 2 * e  // vision→text: Q of vision, K/V of text
            + 2 * tokens * e * e + 2 * b * r * e * 2 * e                 // text→vision: Q of text, K/V of vision
        let attention = 2 * 2 * (2 * r * tokens * e)                      // QKᵀ and PV, both directions
        let outProjections = 2 * b * r * e * e + 2 * tokens * e * e
        return projectors + inProjections + attention + outProjections + 2 * b * 2 * e * c
    }

    /// Matmul FLOPs of one training step: the forward, and twice the forward in backward (input and weight
    /// gradients), less the input gradients of the projectors' first Linear (the features need none).
    public func trainingFLOPs(unpadded: Bool = false) -> Double {
        let tokens = Double(unpadded ? lengths.reduce(0, +) : batchSize * textLength)
        let e = Double(Self.width)
        let featureGradients = 2 * Double(batchSize * Self.regions * Self.visualDim) * e + 2 * tokens * Double(Self.textDim) * e
        return 3 * forwardFLOPs(unpadded: unpadded) - featureGradients
    }

    /// One training step: forward, cross-entropy, backward, clipGradNorm(1), AdamW step.
    public func trainingStep(_ optimizer: AdamW) -> Float {
        var (loss, grads) = try! valueAndGrad(model) { m in crossEntropy(try m(batch), targets: labels) }
        try! clipGradNorm(&grads, maxNorm: 1)
        optimizer.step(grads)
        return loss.item
    }

    /// One training step as `trainingStep`, its forward and backward ops timed into `profile`; the seconds of
    /// the clipping and of the optimizer step, which record no ops.
    public func trainingStep(_ optimizer: AdamW, profile: OpProfile) -> (clipSeconds: Double, updateSeconds: Double) {
        var (_, grads) = profile.measure { try! valueAndGrad(model) { m in crossEntropy(try m(batch), targets: labels) } }
        let clip = Timing.milliseconds { _ = try! clipGradNorm(&grads, maxNorm: 1) }
        let update = Timing.milliseconds { optimizer.step(grads) }
        return (clip / 1e3, update / 1e3)
    }

    /// Eval-mode forward pass (the caller switches the model to eval).
    public func inference() -> Tensor { try! model(batch) }

    /// A copy of the model's current weights and the inputs, for the PyTorch peer (`param.<key>`, visual, text,
    /// text_lengths, labels).
    public func peerInputs() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (key, t) in model.stateDict() { out["param.\(key)"] = t.copy() }
        out["visual"] = batch.visual
        out["text"] = batch.text
        out["text_lengths"] = Tensor(shape: [batchSize], lengths.map(Float.init))
        out["labels"] = Tensor(shape: [batchSize], labels.map(Float.init))
        return out
    }
}
