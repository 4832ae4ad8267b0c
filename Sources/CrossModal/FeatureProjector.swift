import NN
import Tensors

/// Brings one modality's features to the fusion width: Linear → ReLU → LayerNorm, with the reference
/// module's keys `projection.0.weight/bias` and `projection.2.weight/bias`.
public final class FeatureProjector: Module, UnaryLayer {
    public let projection: Sequential
    public let inputDim: Int
    public let outputDim: Int

    public init(inputDim: Int, outputDim: Int) {
        self.inputDim = inputDim
        self.outputDim = outputDim
        projection = Sequential([Linear(inputDim, outputDim), ReLU(), LayerNorm(outputDim)])
        super.init()
        register(module: "projection", projection)
    }

    /// Projects [..., inputDim] features to [..., outputDim].
    public func callAsFunction(_ x: Tensor) -> Tensor { projection(x) }
}
