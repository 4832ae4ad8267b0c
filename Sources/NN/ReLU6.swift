import Tensors

/// `min(max(x, 0), 6)` as a parameter-free layer (torch.nn.ReLU6).
public final class ReLU6: Module {
    public override init() { super.init() }
    public func callAsFunction(_ x: Tensor) -> Tensor { relu6(x) }
}

extension ReLU6: UnaryLayer {}
