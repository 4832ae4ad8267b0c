import NN
import Tensors

/// One post-LayerNorm BERT encoder layer: multi-head self-attention (fused scaled-dot-product attention over
/// packed heads), residual + LayerNorm, then the GELU feed-forward, residual + LayerNorm. The `query`, `key`
/// and `value` weights are row blocks of one [3E, E] in-projection, so the three projections are one GEMM.
/// Keys as Hugging Face `BertLayer`: `attention.self.{query,key,value}`, `attention.output.dense`,
/// `attention.output.LayerNorm`, `intermediate.dense`, `output.dense`, `output.LayerNorm`. Dropout is omitted
/// (inference, and fine-tuning without dropout).
public final class BertLayer: Module {
    /// The fused in-projection [3E, E] and bias [3E]; `query`, `key` and `value` are views of its blocks.
    private let inProjectionWeight: Tensor
    private let inProjectionBias: Tensor
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
        let projections = (0..<3).map { _ in Linear(e, e) }
        inProjectionWeight = concat(projections.map(\.weight), axis: 0)
        inProjectionBias = concat(projections.map { $0.bias! }, axis: 0)
        let (w, b) = (inProjectionWeight.storage, inProjectionBias.storage)
        let views = (0..<3).map { i in
            Linear(weight: Tensor(shape: [e, e], storage: TensorStorage(viewing: w, offset: i * e * e, count: e * e)),
                   bias: Tensor(shape: [e], storage: TensorStorage(viewing: b, offset: i * e, count: e)))
        }
        (query, key, value) = (views[0], views[1], views[2])
        attentionOutput = Linear(e, e)
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

    /// Packed tokens `x` [tokens, E] → [tokens, E]; each sequence of `layout` attends within itself. Frozen,
    /// the three projections are one GEMM with the fused weight; while fine-tuning (the tape records `query`,
    /// `key` or `value`), three, so that each gets its gradient.
    public func callAsFunction(_ x: Tensor, layout: PackedLayout) -> Tensor {
        let qkv = Tape.isRecording([query.weight, key.weight, value.weight])
            ? concat([query(x), key(x), value(x)], axis: 1)
            : linear(x, weight: inProjectionWeight, bias: inProjectionBias)
        let (context, _) = scaledDotProductAttention(packedQKV: qkv, heads: headCount, layout: layout, generator: &Random.generator)
        let h = attentionNorm(attentionOutput(context), adding: x)
        return outputNorm(output(activation(intermediate(h))), adding: h)
    }
}
