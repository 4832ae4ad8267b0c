import NN
import Tensors

/// A layer of `CoAttentionEncoder`: updates both streams, with the layer's attention weights when asked
/// (averaged over heads, or each head's with `perHead`).
public protocol CrossModalLayer: Module {
    func callAsFunction(
        visual: Tensor, text: Tensor, visualPaddingMask: Mask?, textPaddingMask: Mask?, returnWeights: Bool, perHead: Bool
    ) -> CrossModalAttentionOutput
}

extension CrossModalAttention: CrossModalLayer {}
extension CoAttentionLayer: CrossModalLayer {}
extension CoTransformerLayer: CrossModalLayer {}

/// A stack of cross-modal layers (`layers.0.*`, `layers.1.*`, …): plain bidirectional cross-attention,
/// LXMERT-style co-attention or ViLBERT-style co-attentional Transformer layers. Attention weights returned
/// are the last layer's.
public final class CoAttentionEncoder: Module {
    private let stack: [any CrossModalLayer]
    /// Biases each co-transformer layer's text attention after the first by where the text looked in the one
    /// before (`TextPointerBias`).
    public let textPointer: TextPointerBias?
    /// Lets the regions attend to each other before the first plain cross-attention layer (`.crossAttention`
    /// with a region grid).
    public let regionSelfAttention: RegionSelfAttention?

    public init(width: Int, heads: Int, layers: Int, kind: CrossAttentionFusion.LayerKind, dropout: Float) {
        precondition(layers >= 1, "CoAttentionEncoder: needs at least one layer, got \(layers)")
        stack = (0..<layers).map { _ -> any CrossModalLayer in
            switch kind {
            case let .crossAttention(weights, _):
                CrossModalAttention(hiddenDim: width, heads: heads, dropout: dropout, weights: weights)
            case let .coAttention(ffn):
                CoAttentionLayer(width: width, heads: heads, feedForwardDim: ffn, dropout: dropout)
            case let .coTransformer(ffn, grid, _, sharpening):
                CoTransformerLayer(width: width, heads: heads, feedForwardDim: ffn, dropout: dropout, regionGrid: grid,
                                   textSharpening: sharpening)
            }
        }
        if case let .coTransformer(_, _, pointer, _) = kind { textPointer = pointer } else { textPointer = nil }
        if case let .crossAttention(_, grid?) = kind {
            regionSelfAttention = RegionSelfAttention(width: width, heads: heads, grid: grid, dropout: dropout)
        } else {
            regionSelfAttention = nil
        }
        super.init()
        if let regionSelfAttention { register(module: "region_self_attention", regionSelfAttention) }
        let children = Module()
        for (i, layer) in stack.enumerated() { children.register(module: String(i), layer) }
        register(module: "layers", children)
    }

    /// Both streams after every layer; with `returnWeights`, the last layer's attention weights (each head's
    /// with `perHead`, [B, heads, R, T] and [B, heads, T, R]).
    public func callAsFunction(
        visual: Tensor, text: Tensor, visualPaddingMask: Mask?, textPaddingMask: Mask?, returnWeights: Bool,
        perHead: Bool = false
    ) -> CrossModalAttentionOutput {
        var out = CrossModalAttentionOutput(visual: regions(visual, visualPaddingMask), text: text, visualToTextWeights: nil, textToVisualWeights: nil)
        for (i, layer) in stack.enumerated() {
            let last = i == stack.count - 1
            if let textPointer, let coTransformer = layer as? CoTransformerLayer {
                // Every layer but the last hands its head-averaged text→region weights to the next one's bias.
                let bias = i == 0 ? nil : out.textToVisualWeights.map { textPointer(previousWeights: $0, heads: coTransformer.textAttention.heads) }
                out = coTransformer(visual: out.visual, text: out.text, visualPaddingMask: visualPaddingMask, textPaddingMask: textPaddingMask,
                                    returnWeights: !last || returnWeights, perHead: last && perHead, textAttentionBias: bias)
                continue
            }
            out = layer(visual: out.visual, text: out.text, visualPaddingMask: visualPaddingMask,
                        textPaddingMask: textPaddingMask, returnWeights: returnWeights && last, perHead: perHead)
        }
        return out
    }

    /// The regions the first layer reads: after they attended to each other, with a region self-attention.
    private func regions(_ visual: Tensor, _ paddingMask: Mask?) -> Tensor {
        regionSelfAttention.map { $0(visual, paddingMask: paddingMask) } ?? visual
    }

    /// True when every layer is plain cross-attention, which can run on packed text.
    public var acceptsPackedText: Bool { stack.allSatisfy { $0 is CrossModalAttention } }

    /// The stack over packed text [N, D] (see `CrossModalAttention.callAsFunction(visual:packedText:…)`);
    /// needs `acceptsPackedText`.
    public func callAsFunction(
        visual: Tensor, packedText: Tensor, textLayout: PackedLayout, visualPaddingMask: Mask?
    ) -> (visual: Tensor, text: Tensor) {
        var out = (visual: regions(visual, visualPaddingMask), text: packedText)
        for layer in stack {
            guard let m = layer as? CrossModalAttention else {
                preconditionFailure("CoAttentionEncoder: co-attention layers need padded text (check acceptsPackedText)")
            }
            out = m(visual: out.visual, packedText: out.text, textLayout: textLayout, visualPaddingMask: visualPaddingMask)
        }
        return out
    }
}
