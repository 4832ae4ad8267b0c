/// A boolean mask with a shape, broadcast like a tensor. `true` means *masked* (ignored), PyTorch's
/// polarity for `key_padding_mask` and boolean `attn_mask`.
public struct Mask: Equatable, Sendable {
    public let shape: [Int]
    public let values: [Bool]

    public init(shape: [Int], _ values: [Bool]) {
        precondition(Shape.count(shape) == values.count, "Mask: shape \(shape) needs \(Shape.count(shape)) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }

    /// A [batch, maxLength] padding mask: position j of row b is masked when j ≥ lengths[b].
    public static func padding(lengths: [Int], maxLength: Int) -> Mask {
        Mask(shape: [lengths.count, maxLength], lengths.flatMap { len in (0..<maxLength).map { $0 >= len } })
    }

    /// An [n, n] causal mask: query i may not attend to keys j > i.
    public static func causal(_ n: Int) -> Mask {
        Mask(shape: [n, n], (0..<n * n).map { $0 % n > $0 / n })
    }

    /// 1 where masked, 0 where kept, as a tensor of the same shape.
    public var tensor: Tensor { Tensor(shape: shape, values.map { $0 ? 1 : 0 }) }

    /// The mask read from a 0/1 tensor (non-zero = masked).
    public init(_ tensor: Tensor) { self.init(shape: tensor.shape, tensor.scalars.map { $0 != 0 }) }
}
