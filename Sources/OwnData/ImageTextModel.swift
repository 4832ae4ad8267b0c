import CrossModal
import Encoders
import Foundation
import NN
import Tensors

/// A fusion model over the user's own images and texts: an image side (the small CNN, or EfficientNet-Lite0
/// region features with a learned position per cell), a text side (a learned Transformer, or MiniLM token
/// features) and one of the `CrossModal` fusion models. For `classify` it gives label logits; for `match`, one
/// score per (image, text) pair (the dual encoder's scaled cosine, the others' match-logit margin).
/// Keys: `image_encoder.*` and `text_encoder.*` (only for encoders inside the model: trained or fine-tuned),
/// `fusion.*`. Built from `config` alone.
public final class ImageTextModel: Module {
    public let config: ImageTextModelConfig
    public let smallCNN: SmallCNN?
    public let efficientNet: EfficientNetLite0?
    public let questionEncoder: QuestionEncoder?
    public let bert: BertModel?
    public let fusion: any FusionModel

    /// Regions per image and the region grid.
    public let grid: (height: Int, width: Int)

    /// A freshly initialised model of `config` (seed `Random` first for a reproducible one). Fine-tuning takes
    /// the pretrained encoders to train through (`efficientNet` / `bert`), which become `image_encoder` /
    /// `text_encoder`.
    public init(config: ImageTextModelConfig, efficientNet: EfficientNetLite0? = nil, bert: BertModel? = nil) throws {
        try config.validate()
        self.config = config
        let width = config.width
        let visualDim: Int
        if config.imageEncoder == .smallCNN {
            let cnn = SmallCNN()
            smallCNN = cnn
            self.efficientNet = nil
            var side = config.imageSize
            for _ in 0..<4 { side = (side + 1) / 2 }
            grid = (side, side)
            visualDim = cnn.regionDim
        } else {
            smallCNN = nil
            self.efficientNet = config.finetuneEncoders ? (efficientNet ?? EfficientNetLite0()) : nil
            let side = (EfficientNetLite0.imageSize + 31) / 32
            grid = (side, side)
            visualDim = EfficientNetLite0.featureDim + side * side
        }
        let textDim: Int
        switch (config.textEncoder, config.finetuneEncoders) {
        case (.learned, _):
            questionEncoder = QuestionEncoder(vocabularySize: config.vocabulary.count, maxLength: config.maxTokens, width: width,
                                              heads: 4, dropout: 0)
            self.bert = nil
            textDim = width
        case (.minilm, true):
            guard let bert else { throw ImageTextError.invalidConfig("fine-tuning MiniLM needs its pretrained weights") }
            questionEncoder = nil
            self.bert = bert
            textDim = bert.config.hiddenSize
        case (.minilm, false), (.minilmClauses, _):
            questionEncoder = nil
            self.bert = nil
            textDim = 384
        }
        let classes = config.task == .classify ? config.labels.count : 2
        fusion = Self.makeFusion(config, visualDim: visualDim, textDim: textDim, grid: RegionGrid(height: grid.height, width: grid.width),
                                 classes: classes)
        super.init()
        if let smallCNN { register(module: "image_encoder", smallCNN) }
        if let efficientNet = self.efficientNet {
            efficientNet.unfreeze()
            register(module: "image_encoder", efficientNet)
        }
        if let questionEncoder { register(module: "text_encoder", questionEncoder) }
        if let bert = self.bert {
            bert.unfreeze()
            register(module: "text_encoder", bert)
        }
        register(module: "fusion", fusion)
    }

    /// The fusion model of `config` over `regions` region tokens per image: concat or grid-MLP with a
    /// two-hidden-layer MLP, one shared cross-attention layer or a 2-layer co-attention stack (8 heads, no
    /// dropout) with a one-hidden-layer classifier, or the dual encoder over a `grid` of regions; `heads`,
    /// `layers`, `readout`, `regionSelfAttention`, `textPointer`, `textSharpening`, `auxiliaryLossWeight` and
    /// `mlpLayers` change those.
    static func makeFusion(_ config: ImageTextModelConfig, visualDim: Int, textDim: Int, grid: RegionGrid, classes: Int) -> any FusionModel {
        let width = config.width, heads = config.heads ?? 8
        let mlp = { (layers: Int) in [Int](repeating: 4 * width, count: config.mlpLayers ?? layers) }
        switch config.fusion {
        case .concat:
            return ConcatFusion(visualDim: visualDim, textDim: textDim, width: width, hidden: mlp(2), classes: classes)
        case .gridMLP:
            return GridConcatFusion(visualDim: visualDim, textDim: textDim, regions: grid.count, width: width, hidden: mlp(2), classes: classes)
        case .crossAttention:
            return CrossAttentionFusion(visualDim: visualDim, textDim: textDim, width: width, heads: heads, layers: config.layers ?? 1,
                                        kind: .crossAttention(.shared, regionGrid: config.regionSelfAttention == true ? grid : nil),
                                        dropout: 0, hidden: mlp(1), classes: classes,
                                        readout: config.readout ?? .bothStreams, auxiliaryClassifier: config.auxiliaryLossWeight != nil)
        case .coAttention:
            return CrossAttentionFusion(visualDim: visualDim, textDim: textDim, width: width, heads: heads, layers: config.layers ?? 2,
                                        kind: .coTransformer(feedForwardDim: 2 * width, regionGrid: config.regionSelfAttention == true ? grid : nil,
                                                             textPointer: config.textPointer == true ? TextPointerBias(grid: grid) : nil,
                                                             textSharpening: config.textSharpening ?? 1),
                                        dropout: 0, hidden: mlp(1), classes: classes,
                                        readout: config.readout ?? .bothStreams, auxiliaryClassifier: config.auxiliaryLossWeight != nil)
        case .dualEncoder:
            return DualEncoder(visualDim: visualDim, textDim: textDim, width: width)
        }
    }

    /// Value of the one-hot cell entry appended to EfficientNet regions: about a region feature's norm.
    public static let positionScale: Float = 32

    /// Region tokens [I, R, visualDim] of the batch's images.
    public func regions(_ images: Tensor) -> Tensor {
        if let smallCNN { return smallCNN(images) }
        guard let efficientNet else { return Self.withPositions(images) }
        let map = efficientNet.featureMap(images)
        let (n, d, h, w) = (map.shape[0], map.shape[1], map.shape[2], map.shape[3])
        return Self.withPositions(transpose(reshape(map, [n, d, h * w]), 1, 2))
    }

    /// EfficientNet regions [I, R, D] with a scaled one-hot of their cell appended: [I, R, D + R].
    public static func withPositions(_ regions: Tensor) -> Tensor {
        let (b, r) = (regions.shape[0], regions.shape[1])
        let oneHot = Tensor(zeros: [b, r, r])
        for i in 0..<b { for cell in 0..<r { oneHot.mutableData[(i * r + cell) * r + cell] = positionScale } }
        return concat([regions, oneHot], axis: 2)
    }

    /// Token features [B, T, textDim] of the batch's texts.
    public func tokens(_ batch: ImageTextBatch) throws -> Tensor {
        let (b, t) = (batch.textMask.shape[0], batch.textMask.shape[1])
        switch batch.text {
        case let .features(features): return features
        case let .tokens(ids):
            if let questionEncoder { return try questionEncoder(ids, mask: batch.textMask) }
            guard let bert else { preconditionFailure("ImageTextModel: token ids for a model without a text encoder") }
            return bert(ids, batch: b, length: t, paddingMask: batch.textMask)
        }
    }

    /// The fusion model's input: each text with its image's regions.
    public func fusionBatch(_ batch: ImageTextBatch) throws -> FusionBatch {
        let regions = indexSelect(self.regions(batch.images), axis: 0, indices: batch.imageOfText)
        return FusionBatch(visual: regions, text: try tokens(batch), textPaddingMask: batch.textMask)
    }

    /// Label logits [B, labels] (classify) or match logits [B, 2] (match; the dual encoder gives [B, 1] scores).
    public func callAsFunction(_ batch: ImageTextBatch) throws -> Tensor { try fusion(try fusionBatch(batch)) }

    /// The logits with the auxiliary classifier's (`ImageTextModelConfig.auxiliaryLossWeight`; nil without one).
    public func trainingLogits(_ batch: ImageTextBatch) throws -> (logits: Tensor, auxiliary: Tensor?) {
        let fused = try fusionBatch(batch)
        guard let attention = fusion as? CrossAttentionFusion else { return (try fusion(fused), nil) }
        return try attention.trainingLogits(fused)
    }

    /// One match score per pair [B].
    public func scores(_ fused: FusionBatch) throws -> Tensor {
        let out = try fusion(fused)
        if out.shape[1] == 1 { return reshape(out, [out.shape[0]]) }
        return reshape(sub(slice(out, axis: 1, 1..<2), slice(out, axis: 1, 0..<1)), [out.shape[0]])
    }

    /// The logits (as `callAsFunction`) with the last cross-modal layer's attention weights, each head's:
    /// text→regions [B, heads, T, R] and regions→text [B, heads, R, T]; nil for concat, grid-mlp and the dual
    /// encoder, which have no cross-attention.
    public func logitsAndAttention(_ batch: ImageTextBatch) throws -> (logits: Tensor, attention: CrossModalAttentionOutput)? {
        guard let model = fusion as? CrossAttentionFusion else { return nil }
        return try model.logitsAndAttention(try fusionBatch(batch))
    }
}
