import NN
import Tensors

/// A stack of cross-modal layers (`layers.0.*`, `layers.1.*`, …): plain bidirectional cross-attention,
/// LXMERT-style co-attention or ViLBERT-style co-attentional Transformer layers. Attention weights returned are the last layer's.
public final class CoAttentionEncoder: Module {
    private enum Layer {
        case cross(CrossModalAttention)
        case co(CoAttentionLayer)
        case coTransformer(CoTransformerLayer)
    }

    private let stack: [Layer]

    public init(width: Int, heads: Int, layers: Int, kind: CrossAttentionFusion.LayerKind, dropout: Float) {
        precondition(layers >= 1, "CoAttentionEncoder: needs at least one layer, got \(layers)")
        stack = (0..<layers).map { _ in
            switch kind {
            case let .crossAttention(weights):
                .cross(CrossModalAttention(hiddenDim: width, heads: heads, dropout: dropout, weights: weights))
            case let .coAttention(ffn):
                .co(CoAttentionLayer(width: width, heads: heads, feedForwardDim: ffn, dropout: dropout))
            case let .coTransformer(ffn):
                .coTransformer(CoTransformerLayer(width: width, heads: heads, feedForwardDim: ffn, dropout: dropout))
            }
        }
        super.init()
        let children = Module()
        for (i, layer) in stack.enumerated() {
            switch layer {
            case let .cross(m): children.register(module: String(i), m)
            case let .co(m): children.register(module: String(i), m)
            case let .coTransformer(m): children.register(module: String(i), m)
            }
        }
        register(module: "layers", children)
    }

    public func callAsFunction(
        visual: Tensor, text: Tensor, visualPaddingMask: Mask?, textPaddingMask: Mask?, returnWeights: Bool
    ) -> CrossModalAttentionOutput {
        var out = CrossModalAttentionOutput(visual: visual, text: text, visualToTextWeights: nil, textToVisualWeights: nil)
        for (i, layer) in stack.enumerated() {
            let weights = returnWeights && i == stack.count - 1
            switch layer {
            case let .cross(m):
                out = m(visual: out.visual, text: out.text, visualPaddingMask: visualPaddingMask,
                        textPaddingMask: textPaddingMask, returnWeights: weights)
            case let .co(m):
                out = m(visual: out.visual, text: out.text, visualPaddingMask: visualPaddingMask,
                        textPaddingMask: textPaddingMask, returnWeights: weights)
            case let .coTransformer(m):
                out = m(visual: out.visual, text: out.text, visualPaddingMask: visualPaddingMask,
                        textPaddingMask: textPaddingMask, returnWeights: weights)
            }
        }
        return out
    }

    /// True when every layer is plain cross-attention, which can run on packed text.
    public var acceptsPackedText: Bool {
        stack.allSatisfy { if case .cross = $0 { true } else { false } }
    }

    /// The stack over packed text [N, D] (see `CrossModalAttention.callAsFunction(visual:packedText:…)`);
    /// needs `acceptsPackedText`.
    public func callAsFunction(
        visual: Tensor, packedText: Tensor, textLayout: PackedLayout, visualPaddingMask: Mask?
    ) -> (visual: Tensor, text: Tensor) {
        var out = (visual: visual, text: packedText)
        for layer in stack {
            guard case let .cross(m) = layer else {
                preconditionFailure("CoAttentionEncoder: co-attention layers need padded text (check acceptsPackedText)")
            }
            out = m(visual: out.visual, packedText: out.text, textLayout: textLayout, visualPaddingMask: visualPaddingMask)
        }
        return out
    }
}
