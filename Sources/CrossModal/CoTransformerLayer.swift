import NN
import Tensors

/// ViLBERT-style co-attentional Transformer layer: each stream attends to the other and then runs its own
/// feed-forward, both sub-blocks residual + LayerNorm (post-norm). Vision goes first, so text attends to
/// visual features that have already read the question and been transformed per region — the order that
/// lets a region decide "I am the object the question names" before the text looks for it.
/// Keys: `visual_attention.*`, `visual_norm.*`, `visual_feed_forward.{0,2}.*` (Linear, ReLU, Linear),
/// `visual_feed_forward_norm.*` and the same with `text_`; with a `regionGrid`, the regions also attend to each
/// other after their feed-forward (`region_self_attention.*`, before the text attends to them). A
/// `textSharpening` s multiplies the text's attention scores over the regions (scale s/√(head width)).
public final class CoTransformerLayer: Module {
    public let visualAttention: MultiheadAttention
    public let visualNorm: LayerNorm
    public let visualFeedForward: MLP
    public let visualFeedForwardNorm: LayerNorm
    public let textAttention: MultiheadAttention
    public let textNorm: LayerNorm
    public let textFeedForward: MLP
    public let textFeedForwardNorm: LayerNorm
    /// The regions attending to each other after their feed-forward (`RegionSelfAttention`), when built with a grid.
    public let regionSelfAttention: RegionSelfAttention?

    public init(width: Int, heads: Int, feedForwardDim: Int, dropout: Float, regionGrid: RegionGrid? = nil,
                textSharpening: Float = 1) {
        precondition(width % heads == 0, "CoTransformerLayer: width \(width) is not divisible by heads \(heads)")
        visualAttention = MultiheadAttention(embedDim: width, heads: heads, dropout: dropout)
        visualNorm = LayerNorm(width)
        visualFeedForward = MLP([width, feedForwardDim, width], dropout: dropout)
        visualFeedForwardNorm = LayerNorm(width)
        textAttention = MultiheadAttention(embedDim: width, heads: heads, dropout: dropout,
                                           scale: textSharpening == 1 ? nil : textSharpening / Float(width / heads).squareRoot())
        textNorm = LayerNorm(width)
        textFeedForward = MLP([width, feedForwardDim, width], dropout: dropout)
        textFeedForwardNorm = LayerNorm(width)
        regionSelfAttention = regionGrid.map { RegionSelfAttention(width: width, heads: heads, grid: $0, dropout: dropout) }
        super.init()
        register(module: "visual_attention", visualAttention)
        register(module: "visual_norm", visualNorm)
        register(module: "visual_feed_forward", visualFeedForward)
        register(module: "visual_feed_forward_norm", visualFeedForwardNorm)
        register(module: "text_attention", textAttention)
        register(module: "text_norm", textNorm)
        register(module: "text_feed_forward", textFeedForward)
        register(module: "text_feed_forward_norm", textFeedForwardNorm)
        if let regionSelfAttention { register(module: "region_self_attention", regionSelfAttention) }
    }

    public func callAsFunction(
        visual: Tensor, text: Tensor, visualPaddingMask: Mask?, textPaddingMask: Mask?, returnWeights: Bool,
        perHead: Bool = false
    ) -> CrossModalAttentionOutput {
        self(visual: visual, text: text, visualPaddingMask: visualPaddingMask, textPaddingMask: textPaddingMask,
             returnWeights: returnWeights, perHead: perHead, textAttentionBias: nil)
    }

    /// The layer with `textAttentionBias` [B·heads, T, R] added to the text's attention scores over the regions
    /// (`TextPointerBias`).
    public func callAsFunction(
        visual: Tensor, text: Tensor, visualPaddingMask: Mask?, textPaddingMask: Mask?, returnWeights: Bool,
        perHead: Bool, textAttentionBias: Tensor?
    ) -> CrossModalAttentionOutput {
        let v = visualAttention(visual, text, text, keyPaddingMask: textPaddingMask, needWeights: returnWeights,
                                averageAttentionWeights: !perHead)
        let attendedVisual = visualNorm(visual, adding: v.output)
        var newVisual = visualFeedForwardNorm(attendedVisual, adding: visualFeedForward(attendedVisual))
        if let regionSelfAttention { newVisual = regionSelfAttention(newVisual, paddingMask: visualPaddingMask) }
        let t = textAttention(text, newVisual, newVisual, keyPaddingMask: visualPaddingMask,
                              attentionMask: textAttentionBias.map { .additive($0) }, needWeights: returnWeights,
                              averageAttentionWeights: !perHead)
        let attendedText = textNorm(text, adding: t.output)
        return CrossModalAttentionOutput(
            visual: newVisual, text: textFeedForwardNorm(attendedText, adding: textFeedForward(attendedText)),
            visualToTextWeights: v.weights, textToVisualWeights: t.weights)
    }
}
