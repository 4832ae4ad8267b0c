import Tensors

/// Layers applied in order, with nn.Sequential's keys: the i-th layer's parameters are `i.weight`, `i.bias`.
open class Sequential: Module, UnaryLayer {
    public let layers: [any UnaryLayer]

    public init(_ layers: [any UnaryLayer]) {
        self.layers = layers
        super.init()
        for (i, layer) in layers.enumerated() { register(module: String(i), layer) }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { layers.reduce(x) { $1($0) } }
}
