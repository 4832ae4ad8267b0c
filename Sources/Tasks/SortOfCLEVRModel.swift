import CrossModal
import Encoders
import Imaging
import NN
import OwnData
import Tensors

/// A Sort-of-CLEVR answerer: the paper's CNN over pixels gives a 5×5 grid of region features, a small
/// Transformer encodes the question text, and a fusion model combines them into answer logits. Every kind
/// uses the same encoders, widths and training budget, so they compare fairly. With `frozenText` the question is
/// read by a frozen pretrained encoder (MiniLM) instead: its token features go straight to the fusion model's
/// text projector (FeatureProjector(384 → width)).
/// Keys: `cnn.*`, `question_encoder.*` (learned text encoder only), `fusion.*`.
public final class SortOfCLEVRModel: Module {
    /// How the two streams are fused.
    public enum Kind: String, CaseIterable, Codable, Sendable {
        /// Pooled regions ‖ pooled question → MLP (the field report's "wrong way").
        case concat
        /// The paper's CNN+MLP: the flattened region grid (positions kept) ‖ pooled question → MLP.
        case gridMLP = "grid-mlp"
        /// The field report's reference cross-attention (one shared attention + LayerNorm) → pooled → classifier.
        case crossAttention = "cross-attention"
        /// A 2-layer ViLBERT-style co-attention stack (each stream: cross-attention, then feed-forward) →
        /// pooled → classifier.
        case coAttention = "co-attention"
    }

    public let kind: Kind
    public let cnn: SmallCNN
    /// The learned question encoder (nil when `frozenText` reads the questions).
    public let questionEncoder: QuestionEncoder?
    public let frozenText: FrozenTextFeatures?
    public let fusion: any FusionModel

    public init(kind: Kind, width: Int = 64, channels: Int = 24, vocabularySize: Int, maxTokens: Int,
                answers: Int = SortOfCLEVRAnswer.allCases.count, frozenText: FrozenTextFeatures? = nil) {
        self.kind = kind
        self.frozenText = frozenText
        cnn = SmallCNN(channels: channels)
        questionEncoder = frozenText == nil
            ? QuestionEncoder(vocabularySize: vocabularySize, maxLength: maxTokens, width: width, heads: 4, dropout: 0) : nil
        let (v, t) = (cnn.regionDim, frozenText?.dimension ?? width)
        switch kind {
        case .gridMLP:
            fusion = GridConcatFusion(visualDim: v, textDim: t, regions: 25, width: width, hidden: [4 * width, 4 * width], classes: answers)
        case .concat: fusion = ImageTextModel.makeFusion(.concat, visualDim: v, textDim: t, width: width, classes: answers)
        case .crossAttention: fusion = ImageTextModel.makeFusion(.crossAttention, visualDim: v, textDim: t, width: width, classes: answers)
        case .coAttention: fusion = ImageTextModel.makeFusion(.coAttention, visualDim: v, textDim: t, width: width, classes: answers)
        }
        super.init()
        register(module: "cnn", cnn)
        if let questionEncoder { register(module: "question_encoder", questionEncoder) }
        register(module: "fusion", fusion)
    }

    /// The fusion model's input for a batch: each question with its image's regions.
    public func fusionBatch(_ batch: SortOfCLEVRBatch) throws -> FusionBatch {
        let regions = indexSelect(cnn(batch.images), axis: 0, indices: batch.imageOfQuestion)
        if let frozenText {
            let (features, mask) = try frozenText(batch.texts)
            return FusionBatch(visual: regions, text: features, textPaddingMask: mask)
        }
        return FusionBatch(visual: regions, text: try questionEncoder!(batch.tokens, mask: batch.mask), textPaddingMask: batch.mask)
    }

    /// Precise BatchNorm: recomputes the CNN's running statistics with its current weights over the first
    /// `images` images of `dataset` (training images), `batchSize` at a time. Run before evaluating: the
    /// exponential averages gathered during training lag weights that move every step, and with the mostly
    /// white images some channels have tiny variances, so a small lag swings test accuracy by tens of points.
    public func recomputeBatchNormStatistics(on dataset: SortOfCLEVRDataset, images: Int = 1000, batchSize: Int = 50) {
        let n = min(images, dataset.images.count)
        let starts = Array(stride(from: 0, to: n, by: batchSize))
        NN.recomputeBatchNormStatistics(cnn, batches: starts.count) { i in
            _ = cnn(RGBImage.batchTensor(Array(dataset.images[starts[i]..<min(starts[i] + batchSize, n)])))
        }
    }

    /// Answer logits [questions, answers].
    public func callAsFunction(_ batch: SortOfCLEVRBatch) throws -> Tensor { try fusion(try fusionBatch(batch)) }

    /// Both directions' attention weights of the last cross-modal layer (nil for the non-attention kinds):
    /// region→question [Q, 25, T] and question→region [Q, T, 25].
    public func attention(_ batch: SortOfCLEVRBatch) throws -> CrossModalAttentionOutput? {
        guard let model = fusion as? CrossAttentionFusion else { return nil }
        return try model.encode(try fusionBatch(batch), returnWeights: true)
    }
}
