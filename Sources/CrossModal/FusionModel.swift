import NN
import Tensors

/// A model that fuses a `FusionBatch` into one joint representation per pair and scores it.
/// ConcatFusion, CrossAttentionFusion and DualEncoder share projectors and pooling, so they compare fairly.
public protocol FusionModel: Module {
    /// Width of the visual features the model accepts.
    var visualDim: Int { get }
    /// Width of the text features the model accepts.
    var textDim: Int { get }
    /// Joint representation [B, jointDim] of each (image, text) pair.
    func joint(_ batch: FusionBatch) throws -> Tensor
    /// Width of `joint`'s output.
    var jointDim: Int { get }
    /// Task logits [B, classes] from the joint representation.
    func callAsFunction(_ batch: FusionBatch) throws -> Tensor
}

/// Pools both streams with masked means (padding excluded) and concatenates them: [B, 2·width].
func poolAndConcat(visual: Tensor, visualMask: Mask?, text: Tensor, textMask: Mask?) -> Tensor {
    concat([maskedMean(visual, paddingMask: visualMask), maskedMean(text, paddingMask: textMask)], axis: 1)
}
