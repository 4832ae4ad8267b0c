import NN
import Tensors

/// One post-LayerNorm BERT encoder layer: multi-head self-attention with separate `query`/`key`/`value`
/// projections (fused scaled-dot-product attention over packed heads), residual + LayerNorm, then the GELU
/// feed-forward, residual + LayerNorm. Keys as Hugging Face `BertLayer`: `attention.self.{query,key,value}`,
/// `attention.output.dense`, `attention.output.LayerNorm`, `intermediate.dense`, `output.dense`,
/// `output.LayerNorm`. Dropout is omitted: this layer runs frozen, in inference.
public final class BertLayer: Module {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let attentionOutput: Linear
    public let attentionNorm: LayerNorm
    public let intermediate: Linear
    public let output: Linear
    public let outputNorm: LayerNorm
    public let headCount: Int
    public let activation: BertConfig.Activation

    public init(_ config: BertConfig) {
        let (e, f) = (config.hiddenSize, config.intermediateSize)
        (query, key, value, attentionOutput) = (Linear(e, e), Linear(e, e), Linear(e, e), Linear(e, e))
        attentionNorm = LayerNorm(e, eps: config.layerNormEps)
        (intermediate, output) = (Linear(e, f), Linear(f, e))
        outputNorm = LayerNorm(e, eps: config.layerNormEps)
        (headCount, activation) = (config.headCount, config.activation)
        super.init()
        let selfAttention = Module(), attentionOut = Module(), attention = Module()
        selfAttention.register(module: "query", query)
        selfAttention.register(module: "key", key)
        selfAttention.register(module: "value", value)
        attentionOut.register(module: "dense", attentionOutput)
        attentionOut.register(module: "LayerNorm", attentionNorm)
        attention.register(module: "self", selfAttention)
        attention.register(module: "output", attentionOut)
        let intermediateBlock = Module(), outputBlock = Module()
        intermediateBlock.register(module: "dense", intermediate)
        outputBlock.register(module: "dense", output)
        outputBlock.register(module: "LayerNorm", outputNorm)
        register(module: "attention", attention)
        register(module: "intermediate", intermediateBlock)
        register(module: "output", outputBlock)
    }

    /// `x` [B, L, E] → [B, L, E]; `paddingMask` [B, L] is true for padding tokens (ignored as keys).
    public func callAsFunction(_ x: Tensor, paddingMask: Mask?) -> Tensor {
        let (context, _) = scaledDotProductAttention(
            query: query(x), key: key(x), value: value(x), heads: headCount, keyPaddingMask: paddingMask)
        let h = attentionNorm(x + attentionOutput(context))
        return outputNorm(h + output(activation(intermediate(h))))
    }
}
