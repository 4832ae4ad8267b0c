import Tensors

/// `max(x, 0)` as a parameter-free layer (torch.nn.ReLU).
public final class ReLU: Module {
    public override init() { super.init() }
    public func callAsFunction(_ x: Tensor) -> Tensor { relu(x) }
}

/// GELU as a parameter-free layer (torch.nn.GELU); `.tanh` is PyTorch's `approximate="tanh"`.
public final class GELU: Module {
    public let approximate: GELUApproximation

    public init(approximate: GELUApproximation = .none) {
        self.approximate = approximate
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { gelu(x, approximate: approximate) }
}

/// `tanh(x)` as a parameter-free layer (torch.nn.Tanh).
public final class Tanh: Module {
    public override init() { super.init() }
    public func callAsFunction(_ x: Tensor) -> Tensor { Tensors.tanh(x) }
}
