import NN
import Tensors

/// The Sort-of-CLEVR paper's CNN+MLP baseline: every region of a fixed grid projected, the grid flattened in
/// order (so positions are kept) and concatenated with the masked-mean-pooled question → MLP. Unlike
/// `ConcatFusion` it sees where things are, but each region meets the question only inside the MLP.
public final class GridConcatFusion: Module, FusionModel {
    public let visualProjector: FeatureProjector
    public let textProjector: FeatureProjector
    public let classifier: MLP
    public let regions: Int
    public let width: Int

    /// `regions` is the fixed number of grid cells; `hidden` the classifier MLP's hidden widths.
    public init(visualDim: Int, textDim: Int, regions: Int, width: Int, hidden: [Int] = [256], classes: Int, dropout: Float = 0) {
        self.regions = regions
        self.width = width
        visualProjector = FeatureProjector(inputDim: visualDim, outputDim: width)
        textProjector = FeatureProjector(inputDim: textDim, outputDim: width)
        classifier = MLP([(regions + 1) * width] + hidden + [classes], dropout: dropout)
        super.init()
        register(module: "visual_projector", visualProjector)
        register(module: "text_projector", textProjector)
        register(module: "classifier", classifier)
    }

    public var visualDim: Int { visualProjector.inputDim }
    public var textDim: Int { textProjector.inputDim }
    public var jointDim: Int { (regions + 1) * width }

    public func joint(_ batch: FusionBatch) throws -> Tensor {
        try batch.validate(visualDim: visualDim, textDim: textDim)
        guard batch.visual.shape[1] == regions else {
            throw FusionInputError.regionCount(found: batch.visual.shape[1], expected: regions)
        }
        let b = batch.batchSize
        let grid = reshape(visualProjector(batch.visual), [b, regions * width])
        return concat([grid, maskedMean(textProjector(batch.text), paddingMask: batch.textPaddingMask)], axis: 1)
    }

    public func callAsFunction(_ batch: FusionBatch) throws -> Tensor { classifier(try joint(batch)) }
}
