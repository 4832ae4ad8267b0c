import Foundation
import Tensors

/// `y = x · Wᵀ + b` with PyTorch's keys (`weight` [out, in], `bias` [out]) and default init
/// (kaiming-uniform with a = √5, i.e. U(−1/√in, 1/√in) for weight and bias), drawn from `Random.generator`.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?

    public init(_ inputDim: Int, _ outputDim: Int, bias: Bool = true) {
        let bound = 1 / Float(inputDim).squareRoot()
        weight = Tensor.uniform([outputDim, inputDim], low: -bound, high: bound, using: &Random.generator)
        self.bias = bias ? Tensor.uniform([outputDim], low: -bound, high: bound, using: &Random.generator) : nil
        super.init()
        register(parameter: "weight", weight)
        if let b = self.bias { register(parameter: "bias", b) }
    }

    /// A layer over existing tensors (shared, not copied): `weight` [out, in] and `bias` [out].
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "Linear: weight must be [out, in], got \(weight.shape)")
        if let bias { precondition(bias.shape == [weight.shape[0]], "Linear: bias \(bias.shape) for weight \(weight.shape)") }
        (self.weight, self.bias) = (weight, bias)
        super.init()
        register(parameter: "weight", weight)
        if let bias { register(parameter: "bias", bias) }
    }

    public var inputDim: Int { weight.shape[1] }
    public var outputDim: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }
}
