import Tensors

/// Layer normalisation over the last dimension (torch.nn.LayerNorm(dim)) with PyTorch's keys `weight`
/// (ones) and `bias` (zeros) when `elementwiseAffine`; uses the fused `layerNorm` op.
public final class LayerNorm: Module {
    public let weight: Tensor?
    public let bias: Tensor?
    public let eps: Float

    public init(_ dim: Int, eps: Float = 1e-5, elementwiseAffine: Bool = true) {
        weight = elementwiseAffine ? Tensor(shape: [dim], repeating: 1) : nil
        bias = elementwiseAffine ? Tensor(zeros: [dim]) : nil
        self.eps = eps
        super.init()
        if let weight { register(parameter: "weight", weight) }
        if let bias { register(parameter: "bias", bias) }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { layerNorm(x, weight: weight, bias: bias, eps: eps) }

    /// `self(x + residual)` with the residual add fused into the normalisation.
    public func callAsFunction(_ x: Tensor, adding residual: Tensor) -> Tensor {
        layerNorm(x, adding: residual, weight: weight, bias: bias, eps: eps)
    }
}
