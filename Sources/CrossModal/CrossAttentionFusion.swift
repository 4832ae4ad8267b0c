import NN
import Tensors

/// Projectors → N cross-attention (or co-attention) layers → masked-mean pooling of both streams →
/// concatenation → classifier. With one `.shared` cross-attention layer and a one-Linear classifier this is
/// the seed workload's model.
public final class CrossAttentionFusion: Module, FusionModel {
    /// What each of the stacked layers is.
    public enum LayerKind: Sendable, Equatable {
        /// `CrossModalAttention` with shared or per-direction weights.
        case crossAttention(CrossModalAttention.Weights)
        /// LXMERT-style `CoAttentionLayer` (cross, self, feed-forward) with this feed-forward width.
        case coAttention(feedForwardDim: Int)
        /// ViLBERT-style `CoTransformerLayer` (each stream: cross-attention then feed-forward) with this
        /// feed-forward width.
        case coTransformer(feedForwardDim: Int)
    }

    public let visualProjector: FeatureProjector
    public let textProjector: FeatureProjector
    public let encoder: CoAttentionEncoder
    public let classifier: MLP
    public let width: Int

    public init(
        visualDim: Int, textDim: Int, width: Int, heads: Int = 8, layers: Int = 1,
        kind: LayerKind = .crossAttention(.perDirection), dropout: Float = 0.1, hidden: [Int] = [], classes: Int
    ) {
        self.width = width
        visualProjector = FeatureProjector(inputDim: visualDim, outputDim: width)
        textProjector = FeatureProjector(inputDim: textDim, outputDim: width)
        encoder = CoAttentionEncoder(width: width, heads: heads, layers: layers, kind: kind, dropout: dropout)
        classifier = MLP([2 * width] + hidden + [classes], dropout: 0)
        super.init()
        register(module: "visual_projector", visualProjector)
        register(module: "text_projector", textProjector)
        register(module: "encoder", encoder)
        register(module: "classifier", classifier)
    }

    public var visualDim: Int { visualProjector.inputDim }
    public var textDim: Int { textProjector.inputDim }
    public var jointDim: Int { 2 * width }

    /// Both streams after the cross-modal layers, with the last layer's attention weights when asked (each
    /// head's with `perHead`).
    public func encode(_ batch: FusionBatch, returnWeights: Bool = false, perHead: Bool = false) throws -> CrossModalAttentionOutput {
        try batch.validate(visualDim: visualDim, textDim: textDim)
        return encoder(
            visual: visualProjector(batch.visual), text: textProjector(batch.text),
            visualPaddingMask: batch.visualPaddingMask, textPaddingMask: batch.textPaddingMask,
            returnWeights: returnWeights, perHead: perHead)
    }

    /// With a text padding mask and cross-attention layers, the text is unpadded first: padded tokens never
    /// reach the joint representation (masked as keys, dropped by the pooling), so only the valid tokens are
    /// projected and attend (`PackedLayout`); the result is the padded computation's.
    public func joint(_ batch: FusionBatch) throws -> Tensor {
        if let textMask = batch.textPaddingMask, encoder.acceptsPackedText {
            try batch.validate(visualDim: visualDim, textDim: textDim)
            let layout = PackedLayout(paddingMask: textMask)
            let out = encoder(
                visual: visualProjector(batch.visual), packedText: textProjector(pack(batch.text, layout)),
                textLayout: layout, visualPaddingMask: batch.visualPaddingMask)
            return concat([maskedMean(out.visual, paddingMask: batch.visualPaddingMask), segmentMean(out.text, layout)], axis: 1)
        }
        let out = try encode(batch)
        return poolAndConcat(
            visual: out.visual, visualMask: batch.visualPaddingMask, text: out.text, textMask: batch.textPaddingMask)
    }

    public func callAsFunction(_ batch: FusionBatch) throws -> Tensor { classifier(try joint(batch)) }

    /// The logits together with the last layer's attention weights (each head's), from one forward pass through
    /// the padded computation (equal to `callAsFunction` up to float rounding).
    public func logitsAndAttention(_ batch: FusionBatch) throws -> (logits: Tensor, attention: CrossModalAttentionOutput) {
        let out = try encode(batch, returnWeights: true, perHead: true)
        let joint = poolAndConcat(visual: out.visual, visualMask: batch.visualPaddingMask, text: out.text, textMask: batch.textPaddingMask)
        return (classifier(joint), out)
    }
}
