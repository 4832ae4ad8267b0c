import NN
import Tensors

/// Bidirectional multi-head cross-attention: vision queries attend to text, then text queries attend to
/// vision, each followed by a residual connection and LayerNorm.
///
/// - `.shared` is the field report's reference module exactly: ONE `MultiheadAttention` (`attention.*`) and
///   ONE LayerNorm (`layer_norm.*`) serve both directions, and the second direction reads the visual features
///   already updated by the first. It loads that module's PyTorch state_dict and matches it.
/// - `.perDirection` (default) gives each direction its own attention and LayerNorm (ViLBERT-style):
///   keys `visual_attention.*`, `visual_norm.*`, `text_attention.*`, `text_norm.*`. The order of the two
///   directions is the same.
///
/// Both directions take key-padding masks (true = padding): text padding when vision attends to text, region
/// padding when text attends to vision.
public final class CrossModalAttention: Module {
    /// Whether the two directions share one attention and one LayerNorm.
    public enum Weights: String, Sendable, Codable { case shared, perDirection }

    public let weights: Weights
    public let hiddenDim: Int
    public let heads: Int
    /// Vision → text attention (and text → vision too when shared).
    public let visualAttention: MultiheadAttention
    public let visualNorm: LayerNorm
    public let textAttention: MultiheadAttention
    public let textNorm: LayerNorm

    public init(hiddenDim: Int = 768, heads: Int = 8, dropout: Float = 0.1, weights: Weights = .perDirection) {
        precondition(hiddenDim % heads == 0, "CrossModalAttention: hiddenDim \(hiddenDim) is not divisible by heads \(heads)")
        self.weights = weights
        self.hiddenDim = hiddenDim
        self.heads = heads
        visualAttention = MultiheadAttention(embedDim: hiddenDim, heads: heads, dropout: dropout)
        visualNorm = LayerNorm(hiddenDim)
        switch weights {
        case .shared:
            textAttention = visualAttention
            textNorm = visualNorm
        case .perDirection:
            textAttention = MultiheadAttention(embedDim: hiddenDim, heads: heads, dropout: dropout)
            textNorm = LayerNorm(hiddenDim)
        }
        super.init()
        switch weights {
        case .shared:
            register(module: "attention", visualAttention)
            register(module: "layer_norm", visualNorm)
        case .perDirection:
            register(module: "visual_attention", visualAttention)
            register(module: "visual_norm", visualNorm)
            register(module: "text_attention", textAttention)
            register(module: "text_norm", textNorm)
        }
    }

    /// Updated visual [B, R, D] and text [B, T, D] features; with `returnWeights`, each direction's
    /// head-averaged attention weights (vision→text [B, R, T], text→vision [B, T, R]), or with `perHead` each
    /// head's ([B, heads, R, T] and [B, heads, T, R]).
    public func callAsFunction(
        visual: Tensor, text: Tensor, visualPaddingMask: Mask? = nil, textPaddingMask: Mask? = nil,
        returnWeights: Bool = false, perHead: Bool = false
    ) -> CrossModalAttentionOutput {
        let v = visualAttention(visual, text, text, keyPaddingMask: textPaddingMask, needWeights: returnWeights,
                                averageAttentionWeights: !perHead)
        let newVisual = visualNorm(visual, adding: v.output)
        let t = textAttention(text, newVisual, newVisual, keyPaddingMask: visualPaddingMask, needWeights: returnWeights,
                              averageAttentionWeights: !perHead)
        let newText = textNorm(text, adding: t.output)
        return CrossModalAttentionOutput(
            visual: newVisual, text: newText, visualToTextWeights: v.weights, textToVisualWeights: t.weights)
    }

    /// The same layer over packed text [N, D] (the valid tokens only, laid out by `textLayout`; see
    /// `PackedLayout`): padded tokens are neither keys nor queries, so their work is skipped, and every valid
    /// token gets the value the padded call gives it. Returns the visual [B, R, D] and packed text [N, D].
    public func callAsFunction(
        visual: Tensor, packedText text: Tensor, textLayout: PackedLayout, visualPaddingMask: Mask? = nil
    ) -> (visual: Tensor, text: Tensor) {
        let v = visualAttention(visual, text, text, keyLayout: textLayout)
        let newVisual = visualNorm(visual, adding: v.output)
        let t = textAttention(text, newVisual, newVisual, queryLayout: textLayout, keyPaddingMask: visualPaddingMask)
        return (newVisual, textNorm(text, adding: t.output))
    }
}

/// What `CrossModalAttention` returns.
public struct CrossModalAttentionOutput {
    /// Visual features after attending to text, [B, R, D].
    public let visual: Tensor
    /// Text features after attending to the updated visual features, [B, T, D].
    public let text: Tensor
    /// Vision-query attention over text tokens, [B, R, T] (when requested).
    public let visualToTextWeights: Tensor?
    /// Text-query attention over regions, [B, T, R] (when requested).
    public let textToVisualWeights: Tensor?
}
