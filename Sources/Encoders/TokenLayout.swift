import Tensors

/// Where the real tokens of a padded [batch, length] batch are. BERT's token-wise layers (projections,
/// feed-forward, LayerNorm) run on the packed real tokens only, [tokens, hidden], and only attention sees
/// the padded [batch, length, hidden] layout, so padding costs no GEMM work ("remove padding").
public struct TokenLayout {
    public let batch: Int
    public let length: Int
    /// [batch, length], true at padding; nil when there is none.
    public let paddingMask: Mask?
    /// The padded (row-major) position of each real token.
    public let tokens: [Int]
    /// The packed row of each padded position; padding positions read row 0 (they are masked as keys, and
    /// their query rows are dropped).
    private let slots: [Int]

    /// The layout of a batch with padding mask `paddingMask` (true = padding; nil = no padding).
    public init(batch: Int, length: Int, paddingMask: Mask?) {
        if let paddingMask {
            precondition(paddingMask.shape == [batch, length],
                         "TokenLayout: padding mask \(paddingMask.shape) for batch [\(batch), \(length)]")
        }
        let padded = paddingMask?.values ?? []
        let tokens = padded.contains(true) ? padded.indices.filter { !padded[$0] } : Array(0..<batch * length)
        var slots = [Int](repeating: 0, count: batch * length)
        for (row, position) in tokens.enumerated() { slots[position] = row }
        (self.batch, self.length, self.tokens, self.slots) = (batch, length, tokens, slots)
        self.paddingMask = tokens.count == batch * length ? nil : paddingMask
    }

    /// True when every position is a real token (packing is a reshape).
    public var isDense: Bool { tokens.count == batch * length }

    /// Packed rows [tokens, width] as the padded [batch, length, width] (padding rows hold row 0's values).
    public func padded(_ x: Tensor) -> Tensor {
        let width = x.shape[1]
        return reshape(isDense ? x : indexSelect(x, axis: 0, indices: slots), [batch, length, width])
    }

    /// The padded [batch, length, width] as packed rows [tokens, width].
    public func packed(_ x: Tensor) -> Tensor {
        let flat = reshape(x, [batch * length, x.shape[2]])
        return isDense ? flat : indexSelect(flat, axis: 0, indices: tokens)
    }

    /// Packed rows [tokens, width] as the padded [batch, length, width] with zero rows at padding.
    public func paddedWithZeros(_ x: Tensor) -> Tensor {
        if isDense { return padded(x) }
        let width = x.shape[1]
        let zeroRow = tokens.count
        let withZero = concat([x, Tensor(zeros: [1, width])], axis: 0)
        var indices = [Int](repeating: zeroRow, count: batch * length)
        for (row, position) in tokens.enumerated() { indices[position] = row }
        return reshape(indexSelect(withZero, axis: 0, indices: indices), [batch, length, width])
    }
}
