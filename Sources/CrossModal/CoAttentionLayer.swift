import NN
import Tensors

/// LXMERT-style co-attention layer: bidirectional cross-attention, then self-attention within each stream,
/// then a GELU feed-forward per stream; every sub-block is residual + LayerNorm (post-norm).
/// Keys: `cross.*` (a per-direction `CrossModalAttention`), `visual_self.*` and `text_self.*` (each a post-norm
/// `TransformerEncoderLayer`: self-attention and feed-forward sub-blocks).
public final class CoAttentionLayer: Module {
    public let cross: CrossModalAttention
    public let visualSelf: TransformerEncoderLayer
    public let textSelf: TransformerEncoderLayer

    public init(width: Int, heads: Int, feedForwardDim: Int, dropout: Float) {
        cross = CrossModalAttention(hiddenDim: width, heads: heads, dropout: dropout, weights: .perDirection)
        visualSelf = TransformerEncoderLayer(
            width, heads: heads, feedForwardDim: feedForwardDim, dropout: dropout, activation: .gelu)
        textSelf = TransformerEncoderLayer(
            width, heads: heads, feedForwardDim: feedForwardDim, dropout: dropout, activation: .gelu)
        super.init()
        register(module: "cross", cross)
        register(module: "visual_self", visualSelf)
        register(module: "text_self", textSelf)
    }

    public func callAsFunction(
        visual: Tensor, text: Tensor, visualPaddingMask: Mask?, textPaddingMask: Mask?, returnWeights: Bool,
        perHead: Bool = false
    ) -> CrossModalAttentionOutput {
        let c = cross(visual: visual, text: text, visualPaddingMask: visualPaddingMask,
                      textPaddingMask: textPaddingMask, returnWeights: returnWeights, perHead: perHead)
        return CrossModalAttentionOutput(
            visual: visualSelf(c.visual, keyPaddingMask: visualPaddingMask),
            text: textSelf(c.text, keyPaddingMask: textPaddingMask),
            visualToTextWeights: c.visualToTextWeights, textToVisualWeights: c.textToVisualWeights)
    }
}
