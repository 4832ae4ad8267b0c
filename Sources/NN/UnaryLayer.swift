import Tensors

/// A module that maps one tensor to one tensor; what `Sequential` chains.
public protocol UnaryLayer: Module {
    func callAsFunction(_ x: Tensor) -> Tensor
}

extension Linear: UnaryLayer {}
extension LayerNorm: UnaryLayer {}
extension Dropout: UnaryLayer {}
extension ReLU: UnaryLayer {}
extension GELU: UnaryLayer {}
extension Tanh: UnaryLayer {}
