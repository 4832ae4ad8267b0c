import Tensors

/// Linear layers with an activation (and optional dropout) between them, none after the last:
/// `MLP([in, hidden, out])` has keys `0.*` and `2.*` like `nn.Sequential(Linear, ReLU, Linear)`
/// (with dropout, `nn.Sequential(Linear, ReLU, Dropout, Linear)`).
public final class MLP: Sequential {
    public init(_ dims: [Int], activation: @autoclosure () -> any UnaryLayer = ReLU(), dropout: Float = 0) {
        precondition(dims.count >= 2, "MLP: needs at least input and output widths, got \(dims)")
        var layers: [any UnaryLayer] = []
        for i in 0..<(dims.count - 1) {
            layers.append(Linear(dims[i], dims[i + 1]))
            if i < dims.count - 2 {
                layers.append(activation())
                if dropout > 0 { layers.append(Dropout(dropout)) }
            }
        }
        super.init(layers)
    }
}
