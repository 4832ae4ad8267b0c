import Tensors

/// A lookup table of `count` vectors of size `dim` (torch.nn.Embedding), key `weight` [count, dim], initialised
/// N(0, 1) from `Random.generator`. The row `paddingIndex` starts at zero and never receives a gradient,
/// as PyTorch's `padding_idx`.
public final class Embedding: Module {
    public let weight: Tensor
    public let paddingIndex: Int?

    public init(_ count: Int, _ dim: Int, paddingIndex: Int? = nil) {
        let padding = paddingIndex.map { $0 < 0 ? $0 + count : $0 }
        if let padding {
            precondition(padding >= 0 && padding < count,
                         "Embedding: padding index \(paddingIndex!) out of range for \(count) rows")
        }
        weight = Tensor.randn([count, dim], using: &Random.generator)
        if let padding { (weight.mutableData + padding * dim).update(repeating: 0, count: dim) }
        self.paddingIndex = padding
        super.init()
        register(parameter: "weight", weight)
    }

    public var count: Int { weight.shape[0] }
    public var dim: Int { weight.shape[1] }

    /// The vectors of `ids` (row-major, of shape `shape`), as `shape + [dim]`.
    public func callAsFunction(_ ids: [Int], shape: [Int]) -> Tensor {
        embedding(weight, indices: ids, shape: shape, paddingIndex: paddingIndex)
    }
}
