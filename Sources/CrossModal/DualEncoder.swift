import Foundation
import NN
import Tensors

/// CLIP-style dual encoder: each stream projected and masked-mean-pooled on its own, L2-normalised, and
/// compared by a dot product scaled by a learnable temperature `logit_scale` (initialised at ln(1/0.07),
/// used clamped at ln(100)). The streams never interact before the score.
public final class DualEncoder: Module, FusionModel {
    public let visualProjector: FeatureProjector
    public let textProjector: FeatureProjector
    /// ln of the inverse temperature, shape [] (PyTorch key `logit_scale`).
    public let logitScale: Tensor
    public let width: Int
    /// Upper clamp of `logitScale`: ln(100).
    public static let maxLogitScale = Float(Foundation.log(100.0))

    public init(visualDim: Int, textDim: Int, width: Int) {
        self.width = width
        visualProjector = FeatureProjector(inputDim: visualDim, outputDim: width)
        textProjector = FeatureProjector(inputDim: textDim, outputDim: width)
        logitScale = Tensor(Float(Foundation.log(1 / 0.07)))
        super.init()
        register(module: "visual_projector", visualProjector)
        register(module: "text_projector", textProjector)
        register(parameter: "logit_scale", logitScale)
    }

    public var visualDim: Int { visualProjector.inputDim }
    public var textDim: Int { textProjector.inputDim }
    public var jointDim: Int { 2 * width }

    /// L2-normalised pooled embeddings of both streams, each [B, width].
    public func embed(_ batch: FusionBatch) throws -> (visual: Tensor, text: Tensor) {
        try batch.validate(visualDim: visualDim, textDim: textDim)
        let v = maskedMean(visualProjector(batch.visual), paddingMask: batch.visualPaddingMask)
        let t = maskedMean(textProjector(batch.text), paddingMask: batch.textPaddingMask)
        return (l2Normalize(v), l2Normalize(t))
    }

    /// Image-to-text similarity logits [B, B]: exp(clamped logit_scale) · v·tᵀ.
    public func similarity(_ batch: FusionBatch) throws -> Tensor {
        let (v, t) = try embed(batch)
        return mul(matmul(v, t, transposeB: true), scale)
    }

    /// The two embeddings side by side, [B, 2·width] (for probes; the streams have not interacted).
    public func joint(_ batch: FusionBatch) throws -> Tensor {
        let (v, t) = try embed(batch)
        return concat([v, t], axis: 1)
    }

    /// Per-pair matching score [B, 1]: the scaled cosine of each image with its own text.
    public func callAsFunction(_ batch: FusionBatch) throws -> Tensor {
        let (v, t) = try embed(batch)
        return mul(sum(mul(v, t), axes: [1], keepDims: true), scale)
    }

    /// exp(logit_scale clamped at ln 100): the inverse temperature (no gradient while clamped).
    public var scale: Tensor {
        exp(minimum(logitScale, Tensor(Self.maxLogitScale)))
    }
}
