import Tensors

/// PyTorch `nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, batch_first=True)`: the same keys
/// (`in_proj_weight` [3E, E], `in_proj_bias` [3E], `out_proj.weight`, `out_proj.bias`), the same init
/// (xavier-uniform in-projection, zero biases) and the same results, on [B, L, E] inputs.
///
/// The projections use the fused `linear` op: self-attention (query, key and value the same tensor object)
/// projects with one GEMM against the whole [3E, E] weight, and key-is-value cross-attention projects keys
/// and values with one GEMM; the fused attention op reads the packed result in place.
/// Differences from PyTorch: a query with every key masked gets a zero attention output (so the layer
/// outputs `out_proj.bias`) and zero weights where PyTorch's `need_weights=True` path gives NaN; returned
/// weights are constants (no gradient) and, in training, taken before dropout.
public final class MultiheadAttention: Module {
    public let embedDim: Int
    public let heads: Int
    /// Dropout probability on the attention weights, applied only in training mode.
    public let dropout: Float
    /// The factor on q·k before the softmax: nil is PyTorch's 1/√(head width); any other value is
    /// `F.scaled_dot_product_attention`'s `scale`.
    public let scale: Float?
    public let inProjWeight: Tensor
    public let inProjBias: Tensor?
    public let outProj: Linear

    public init(embedDim: Int, heads: Int, dropout: Float = 0, bias: Bool = true, scale: Float? = nil) {
        precondition(heads > 0 && embedDim % heads == 0, "MultiheadAttention: embedDim \(embedDim) must be divisible by heads \(heads)")
        precondition(scale.map { $0 > 0 && $0.isFinite } ?? true, "MultiheadAttention: scale must be positive and finite, got \(scale!)")
        self.embedDim = embedDim
        self.heads = heads
        self.dropout = dropout
        self.scale = scale
        // PyTorch's order: out_proj is built first, then `_reset_parameters` redraws in_proj_weight
        // (xavier_uniform_, fan_in E, fan_out 3E) and zeroes both biases.
        outProj = Linear(embedDim, embedDim, bias: bias)
        let bound = (6 / Float(4 * embedDim)).squareRoot()
        inProjWeight = Tensor.uniform([3 * embedDim, embedDim], low: -bound, high: bound, using: &Random.generator)
        inProjBias = bias ? Tensor(zeros: [3 * embedDim]) : nil
        outProj.bias?.assign(Tensor(zeros: [embedDim]))
        super.init()
        register(parameter: "in_proj_weight", inProjWeight)
        if let inProjBias { register(parameter: "in_proj_bias", inProjBias) }
        register(module: "out_proj", outProj)
    }

    /// Attends `query` [B, Lq, E] over `key` [B, Lk, E] / `value` [B, Lk, E]. `keyPaddingMask` [B, Lk] and
    /// boolean attention masks are `true` where attention is blocked; `attentionMask` is [Lq, Lk],
    /// [B·heads, Lq, Lk] or [heads, Lq, Lk]. With `needWeights`, also returns the attention weights averaged over heads
    /// [B, Lq, Lk], or per head [B, heads, Lq, Lk] when `averageAttentionWeights` is false.
    ///
    /// With `queryLayout` (`keyLayout`) the queries (keys and values) are packed variable-length sequences
    /// [N, E] (see `PackedLayout`; no padding, so no padding mask): padded positions cost nothing, and the
    /// output has the queries' layout. Masks and weights then need padded inputs.
    public func callAsFunction(
        _ query: Tensor, _ key: Tensor, _ value: Tensor,
        queryLayout: PackedLayout? = nil, keyLayout: PackedLayout? = nil,
        keyPaddingMask: Mask? = nil, attentionMask: AttentionMask? = nil,
        needWeights: Bool = false, averageAttentionWeights: Bool = true
    ) -> (output: Tensor, weights: Tensor?) {
        let e = embedDim
        for (name, t, layout) in [("query", query, queryLayout), ("key", key, keyLayout), ("value", value, keyLayout)] {
            precondition(t.rank == (layout == nil ? 3 : 2) && t.shape[t.rank - 1] == e,
                         "MultiheadAttention: \(name) must be \(layout == nil ? "[B, L, \(e)] (batch first)" : "packed [N, \(e)]"), got shape \(t.shape)")
        }
        let p = isTraining ? dropout : 0
        let attended: (output: Tensor, weights: Tensor?)
        if query === key && key === value && queryLayout == nil && keyLayout == nil {
            let qkv = linear(query, weight: inProjWeight, bias: inProjBias)
            attended = scaledDotProductAttention(
                packedQKV: qkv, heads: heads, keyPaddingMask: keyPaddingMask, attentionMask: attentionMask, scale: scale,
                dropout: p, generator: &Random.generator, returnWeights: needWeights)
        } else if key === value {
            let q = project(query, 0..<e), kv = project(key, e..<3 * e)
            attended = scaledDotProductAttention(
                query: q, packedKeyValue: kv, heads: heads, queryLayout: queryLayout, keyLayout: keyLayout,
                keyPaddingMask: keyPaddingMask, attentionMask: attentionMask, scale: scale, dropout: p,
                generator: &Random.generator, returnWeights: needWeights)
        } else {
            attended = scaledDotProductAttention(
                query: project(query, 0..<e), key: project(key, e..<2 * e), value: project(value, 2 * e..<3 * e),
                heads: heads, queryLayout: queryLayout, keyLayout: keyLayout, keyPaddingMask: keyPaddingMask,
                attentionMask: attentionMask, scale: scale, dropout: p, generator: &Random.generator, returnWeights: needWeights)
        }
        let weights = attended.weights.map { averageAttentionWeights ? mean($0, axes: [1]) : $0 }
        return (outProj(attended.output), weights)
    }

    /// `x` through the rows `rows` of the in-projection, read in place.
    private func project(_ x: Tensor, _ rows: Range<Int>) -> Tensor {
        linear(x, weight: inProjWeight, bias: inProjBias, rows: rows)
    }
}
