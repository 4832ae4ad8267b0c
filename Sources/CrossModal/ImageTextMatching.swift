import Foundation
import NN
import Tensors

/// Image–text matching (ALBEF): a 2-way head on the fused representation decides whether an image and a
/// text belong together, trained on the batch's pairs plus in-batch hard negatives drawn in proportion to
/// their contrastive similarity (close-but-wrong pairs are picked most often).
public final class ImageTextMatchingHead: Module {
    public let head: Linear

    public init(jointDim: Int) {
        head = Linear(jointDim, 2)
        super.init()
        register(module: "head", head)
    }

    /// Match logits [B, 2] (class 1 = match) from joint representations [B, jointDim].
    public func callAsFunction(_ joint: Tensor) -> Tensor { head(joint) }

    /// ITM loss over B positives, B (image, hard-negative text) and B (hard-negative image, text) pairs.
    /// `similarity` is the [B, B] image-to-text similarity used to draw negatives (no gradient flows through it).
    public func loss(
        model: some FusionModel, batch: FusionBatch, similarity: Tensor, using generator: inout RandomGenerator
    ) throws -> Tensor {
        let b = batch.batchSize
        precondition(b >= 2, "ImageTextMatchingHead.loss: hard negatives need a batch of at least 2, got \(b)")
        let negatives = sampleHardNegatives(similarity: similarity, using: &generator)
        let all = Array(0..<b)
        let images = all + all + negatives.imageForText
        let texts = all + negatives.textForImage + all
        let pairs = FusionBatch(
            visual: indexSelect(batch.visual, axis: 0, indices: images),
            visualPaddingMask: batch.visualPaddingMask.map { $0.rows(images) },
            text: indexSelect(batch.text, axis: 0, indices: texts),
            textPaddingMask: batch.textPaddingMask.map { $0.rows(texts) }, rejectNonFinite: batch.rejectNonFinite)
        let labels = [Int](repeating: 1, count: b) + [Int](repeating: 0, count: 2 * b)
        return crossEntropy(self(try model.joint(pairs)), targets: labels)
    }
}

/// For each image a text j ≠ i drawn with probability ∝ softmax(similarity[i, :]), and for each text an image
/// drawn ∝ softmax(similarity[:, j]) (ALBEF's in-batch hard negative mining).
public func sampleHardNegatives(
    similarity: Tensor, using generator: inout RandomGenerator
) -> (textForImage: [Int], imageForText: [Int]) {
    precondition(similarity.rank == 2 && similarity.shape[0] == similarity.shape[1],
                 "sampleHardNegatives: similarity must be square, got \(similarity.shape)")
    let b = similarity.shape[0]
    func draw(_ score: (Int) -> Float, excluding i: Int) -> Int {
        let top = (0..<b).filter { $0 != i }.map(score).max() ?? 0
        let weights = (0..<b).map { $0 == i ? 0 : Foundation.exp(Double(score($0) - top)) }
        var u = Double(generator.nextFloat()) * weights.reduce(0, +)
        for (j, w) in weights.enumerated() where w > 0 {
            u -= w
            if u <= 0 { return j }
        }
        return i == b - 1 ? b - 2 : b - 1
    }
    let s = similarity.data
    let textForImage = (0..<b).map { i in draw({ s[i * b + $0] }, excluding: i) }
    let imageForText = (0..<b).map { j in draw({ s[$0 * b + j] }, excluding: j) }
    return (textForImage, imageForText)
}

extension Mask {
    /// The mask's rows (first axis) picked by `indices` (a batch's pairs re-drawn from its items).
    public func rows(_ indices: [Int]) -> Mask {
        let width = shape.count > 1 ? Shape.count(Array(shape.dropFirst())) : 1
        return Mask(shape: [indices.count] + shape.dropFirst(), indices.flatMap { values[($0 * width)..<(($0 + 1) * width)] })
    }
}
