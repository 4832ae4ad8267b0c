import NN
import Tensors

/// The baseline the field report warns about: each stream projected, masked-mean-pooled, concatenated and
/// fed to an MLP. Pooling first means no token ever sees a region, so it cannot learn which region a word
/// refers to.
public final class ConcatFusion: Module, FusionModel {
    public let visualProjector: FeatureProjector
    public let textProjector: FeatureProjector
    public let classifier: MLP
    public let width: Int

    /// `hidden` are the classifier MLP's hidden widths (empty = one Linear).
    public init(visualDim: Int, textDim: Int, width: Int, hidden: [Int] = [], classes: Int, dropout: Float = 0) {
        self.width = width
        visualProjector = FeatureProjector(inputDim: visualDim, outputDim: width)
        textProjector = FeatureProjector(inputDim: textDim, outputDim: width)
        classifier = MLP([2 * width] + hidden + [classes], dropout: dropout)
        super.init()
        register(module: "visual_projector", visualProjector)
        register(module: "text_projector", textProjector)
        register(module: "classifier", classifier)
    }

    public var visualDim: Int { visualProjector.inputDim }
    public var textDim: Int { textProjector.inputDim }
    public var jointDim: Int { 2 * width }

    public func joint(_ batch: FusionBatch) throws -> Tensor {
        try batch.validate(visualDim: visualDim, textDim: textDim)
        return poolAndConcat(
            visual: visualProjector(batch.visual), visualMask: batch.visualPaddingMask,
            text: textProjector(batch.text), textMask: batch.textPaddingMask)
    }

    public func callAsFunction(_ batch: FusionBatch) throws -> Tensor { classifier(try joint(batch)) }
}
