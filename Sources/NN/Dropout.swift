import Tensors

/// Inverted dropout with probability `p` while training (mask from `Random.generator`); identity in eval mode.
public final class Dropout: Module {
    public let p: Float

    public init(_ p: Float) {
        precondition(p >= 0 && p <= 1, "Dropout: probability \(p) must be in [0, 1]")
        self.p = p
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { isTraining ? dropout(x, p: p) : x }
}
