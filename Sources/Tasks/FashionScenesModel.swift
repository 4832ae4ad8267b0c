import CrossModal
import Encoders
import NN
import OwnData
import Tensors

/// The three fusion models compared on fashion scenes, over the same frozen features: 49 EfficientNet region
/// tokens (each with a one-hot of its grid cell appended, which the visual projector turns into a learned
/// position embedding, so regions know where they are) and MiniLM token features. Each scores an (image, caption) pair with one number: the DualEncoder's scaled cosine,
/// the others' match-logit margin (logit 1 − logit 0 of their 2-way classifier).
public final class FashionScenesModel: Module {
    public enum Kind: String, CaseIterable, Codable, Sendable {
        /// CLIP-style: pooled projections compared by cosine, trained contrastively (with the hard negatives as
        /// extra captions).
        case dual = "dual-encoder"
        /// Pooled regions ‖ pooled caption → MLP, trained for image–text matching.
        case concat
        /// A co-attentional layer (regions attend to caption tokens, then a per-region feed-forward; tokens
        /// attend to the updated regions, then their feed-forward) → pooled → MLP, trained for matching.
        case crossAttention = "cross-attention"
    }

    public static let visualDim = EfficientNetLite0.featureDim + regions
    /// Region tokens per scene (the 7×7 feature map at 224 px).
    public static let regions = 49
    public static let textDim = 384

    public let kind: Kind
    public let fusion: any FusionModel

    public init(kind: Kind, width: Int = 64) {
        self.kind = kind
        let (v, t) = (Self.visualDim, Self.textDim)
        switch kind {
        case .dual: fusion = DualEncoder(visualDim: v, textDim: t, width: width)
        case .concat: fusion = ConcatFusion(visualDim: v, textDim: t, width: width, hidden: [4 * width], classes: 2)
        case .crossAttention:
            fusion = CrossAttentionFusion(visualDim: v, textDim: t, width: width, heads: 4, layers: 1,
                                          kind: .coTransformer(feedForwardDim: 2 * width), dropout: 0, hidden: [4 * width], classes: 2)
        }
        super.init()
        register(module: "fusion", fusion)
    }

    /// Region tokens [B, 49, 1280] with the (scaled) one-hot of their cell appended: [B, 49, 1329], as the
    /// own-data models see EfficientNet regions (`ImageTextModel.withPositions`).
    public static func visualTokens(_ regions: Tensor) -> Tensor { ImageTextModel.withPositions(regions) }

    /// The fusion input for image rows `images` and caption rows `captions` (paired one to one) of a split;
    /// text as long as the longest caption in the batch.
    public static func batch(_ split: FashionScenesFeatures.Split, images: [Int], captions: [Int]) -> FusionBatch {
        let (text, lengths) = split.text(captions)
        return batch(regions: indexSelect(split.regions, axis: 0, indices: images), text: text, lengths: lengths)
    }

    /// The fusion input for region tokens [B, 49, 1280] and caption token features [B, T, 384] with their
    /// lengths.
    public static func batch(regions: Tensor, text: Tensor, lengths: [Int]) -> FusionBatch {
        FusionBatch(visual: visualTokens(regions), text: text, textPaddingMask: Mask.padding(lengths: lengths, maxLength: text.shape[1]))
    }

    /// One score per pair [B].
    public func scores(_ batch: FusionBatch) throws -> Tensor {
        let out = try fusion(batch)
        if kind == .dual { return reshape(out, [out.shape[0]]) }
        return reshape(sub(slice(out, axis: 1, 1..<2), slice(out, axis: 1, 0..<1)), [out.shape[0]])
    }
}
