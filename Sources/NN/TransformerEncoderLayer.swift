import Tensors

/// PyTorch `nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
/// layer_norm_eps, batch_first=True, norm_first)`: self-attention and a feed-forward block, each with a
/// residual connection and LayerNorm (after the residual by default, before the block with `normFirst`).
/// Keys as PyTorch: `self_attn.*`, `linear1.*`, `linear2.*`, `norm1.*`, `norm2.*`.
public final class TransformerEncoderLayer: Module {
    /// The feed-forward activation (PyTorch's `activation="relu"` / `"gelu"`).
    public enum Activation: Sendable { case relu, gelu }

    public let selfAttn: MultiheadAttention
    public let linear1: Linear
    public let linear2: Linear
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    /// Dropout inside the feed-forward block, after the activation.
    public let dropout: Dropout
    /// Dropout on the self-attention block's output, before its residual.
    public let dropout1: Dropout
    /// Dropout on the feed-forward block's output, before its residual.
    public let dropout2: Dropout
    public let activation: Activation
    public let normFirst: Bool

    /// Layers built in PyTorch's order (so a seed draws the same way PyTorch's layer does its own).
    public init(
        _ modelDim: Int, heads: Int, feedForwardDim: Int = 2048, dropout p: Float = 0.1,
        activation: Activation = .relu, layerNormEps: Float = 1e-5, normFirst: Bool = false
    ) {
        selfAttn = MultiheadAttention(embedDim: modelDim, heads: heads, dropout: p)
        linear1 = Linear(modelDim, feedForwardDim)
        dropout = Dropout(p)
        linear2 = Linear(feedForwardDim, modelDim)
        norm1 = LayerNorm(modelDim, eps: layerNormEps)
        norm2 = LayerNorm(modelDim, eps: layerNormEps)
        dropout1 = Dropout(p)
        dropout2 = Dropout(p)
        self.activation = activation
        self.normFirst = normFirst
        super.init()
        register(module: "self_attn", selfAttn)
        register(module: "linear1", linear1)
        register(module: "dropout", dropout)
        register(module: "linear2", linear2)
        register(module: "norm1", norm1)
        register(module: "norm2", norm2)
        register(module: "dropout1", dropout1)
        register(module: "dropout2", dropout2)
    }

    /// Encodes `x` [B, L, modelDim]. `keyPaddingMask` [B, L] is `true` at padding positions (PyTorch's
    /// `src_key_padding_mask`); `attentionMask` is PyTorch's `src_mask`.
    public func callAsFunction(_ x: Tensor, keyPaddingMask: Mask? = nil, attentionMask: AttentionMask? = nil) -> Tensor {
        if normFirst {
            let h = x + selfAttentionBlock(norm1(x), keyPaddingMask, attentionMask)
            return h + feedForwardBlock(norm2(h))
        }
        let h = norm1(x + selfAttentionBlock(x, keyPaddingMask, attentionMask))
        return norm2(h + feedForwardBlock(h))
    }

    private func selfAttentionBlock(_ x: Tensor, _ keyPaddingMask: Mask?, _ attentionMask: AttentionMask?) -> Tensor {
        dropout1(selfAttn(x, x, x, keyPaddingMask: keyPaddingMask, attentionMask: attentionMask).output)
    }

    private func feedForwardBlock(_ x: Tensor) -> Tensor {
        let hidden = linear1(x)
        return dropout2(linear2(dropout(activation == .relu ? relu(hidden) : gelu(hidden))))
    }
}
