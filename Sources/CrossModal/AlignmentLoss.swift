import Tensors

/// A lightweight auxiliary loss pulling the pooled visual and text representations of matched pairs
/// together, added to the task loss with weight λ (`weight`).
///
/// - `.cosine`: λ · mean(1 − cos(vᵢ, tᵢ)); cheap, needs no negatives, but alone can collapse.
/// - `.infoNCE(temperature:)`: λ · symmetric InfoNCE over the batch with a fixed temperature
///   (matched pairs attract, the other pairs in the batch repel).
public struct AlignmentLoss: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case cosine
        case infoNCE(temperature: Float)
    }

    public var kind: Kind
    public var weight: Float

    public init(kind: Kind = .cosine, weight: Float = 0.1) {
        self.kind = kind
        self.weight = weight
    }

    /// The weighted loss for pooled representations `visual` and `text`, each [B, D].
    public func callAsFunction(visual: Tensor, text: Tensor) -> Tensor {
        precondition(visual.shape == text.shape && visual.rank == 2, "AlignmentLoss: visual \(visual.shape) and text \(text.shape) must both be [B, D]")
        switch kind {
        case .cosine:
            return mul(mean(sub(Tensor(1), cosineSimilarity(visual, text))), Tensor(weight))
        case let .infoNCE(temperature):
            let logits = mul(matmul(l2Normalize(visual), l2Normalize(text), transposeB: true), Tensor(1 / temperature))
            return mul(contrastiveLoss(logits), Tensor(weight))
        }
    }
}
