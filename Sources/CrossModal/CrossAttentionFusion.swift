import NN
import Tensors

/// Projectors → N cross-attention (or co-attention) layers → masked-mean pooling of both streams →
/// concatenation → classifier (or, with the `.text` readout, the text stream's pooling alone → classifier).
/// With one `.shared` cross-attention layer and a one-Linear classifier this is the seed workload's model.
public final class CrossAttentionFusion: Module, FusionModel {
    /// What the classifier reads after the cross-modal layers.
    public enum Readout: String, Codable, CaseIterable, Sendable {
        /// Masked means of the visual and the text stream, concatenated (the reference module): [B, 2·width].
        case bothStreams = "both-streams"
        /// The text stream's masked mean alone, as LXMERT answers questions from its language side: [B, width].
        /// Every answer must then come through the text's attention over the regions; there is no pooled-image
        /// shortcut that answers "what shape is the red object" without tying words to regions.
        case text
    }

    /// What each of the stacked layers is.
    public enum LayerKind: Sendable, Equatable {
        /// `CrossModalAttention` with shared or per-direction weights; with a region grid, the regions first attend
        /// to each other once (`RegionSelfAttention`), so that each region carries what is near and far from it
        /// into the cross-modal layers.
        case crossAttention(CrossModalAttention.Weights, regionGrid: RegionGrid? = nil)
        /// LXMERT-style `CoAttentionLayer` (cross, self, feed-forward) with this feed-forward width.
        case coAttention(feedForwardDim: Int)
        /// ViLBERT-style `CoTransformerLayer` (each stream: cross-attention then feed-forward) with this
        /// feed-forward width; with a region grid, the regions also attend to each other (`RegionSelfAttention`);
        /// with a text pointer, the text's attention in each layer after the first is biased by where it looked in
        /// the one before (`TextPointerBias`); `textSharpening` multiplies the text's attention scores over the
        /// regions in every layer.
        case coTransformer(feedForwardDim: Int, regionGrid: RegionGrid? = nil, textPointer: TextPointerBias? = nil, textSharpening: Float = 1)
    }

    public let visualProjector: FeatureProjector
    public let textProjector: FeatureProjector
    public let encoder: CoAttentionEncoder
    public let classifier: MLP
    public let width: Int
    public let readout: Readout
    /// With the `.text` readout, an optional second classifier over both streams' pooled features
    /// (`auxiliary_classifier.*`) whose answers only add a training loss (`trainingLogits`): it gives the image
    /// side a direct path to every answer, so its features learn while the text is still learning where to look.
    public let auxiliaryClassifier: MLP?

    public init(
        visualDim: Int, textDim: Int, width: Int, heads: Int = 8, layers: Int = 1,
        kind: LayerKind = .crossAttention(.perDirection), dropout: Float = 0.1, hidden: [Int] = [], classes: Int,
        readout: Readout = .bothStreams, auxiliaryClassifier: Bool = false
    ) {
        precondition(!auxiliaryClassifier || readout == .text,
                     "CrossAttentionFusion: an auxiliary classifier needs the text readout (the main one reads both streams already)")
        (self.width, self.readout) = (width, readout)
        visualProjector = FeatureProjector(inputDim: visualDim, outputDim: width)
        textProjector = FeatureProjector(inputDim: textDim, outputDim: width)
        encoder = CoAttentionEncoder(width: width, heads: heads, layers: layers, kind: kind, dropout: dropout)
        classifier = MLP([readout == .text ? width : 2 * width] + hidden + [classes], dropout: 0)
        self.auxiliaryClassifier = auxiliaryClassifier ? MLP([2 * width] + hidden + [classes], dropout: 0) : nil
        super.init()
        register(module: "visual_projector", visualProjector)
        register(module: "text_projector", textProjector)
        register(module: "encoder", encoder)
        register(module: "classifier", classifier)
        if let auxiliaryClassifier = self.auxiliaryClassifier { register(module: "auxiliary_classifier", auxiliaryClassifier) }
    }

    public var visualDim: Int { visualProjector.inputDim }
    public var textDim: Int { textProjector.inputDim }
    public var jointDim: Int { readout == .text ? width : 2 * width }

    /// Both streams after the cross-modal layers, with the last layer's attention weights when asked (each
    /// head's with `perHead`).
    public func encode(_ batch: FusionBatch, returnWeights: Bool = false, perHead: Bool = false) throws -> CrossModalAttentionOutput {
        try batch.validate(visualDim: visualDim, textDim: textDim)
        return encoder(
            visual: visualProjector(batch.visual), text: textProjector(batch.text),
            visualPaddingMask: batch.visualPaddingMask, textPaddingMask: batch.textPaddingMask,
            returnWeights: returnWeights, perHead: perHead)
    }

    /// With a text padding mask and cross-attention layers, the text is unpadded first: padded tokens never
    /// reach the joint representation (masked as keys, dropped by the pooling), so only the valid tokens are
    /// projected and attend (`PackedLayout`); the result is the padded computation's.
    public func joint(_ batch: FusionBatch) throws -> Tensor {
        if let textMask = batch.textPaddingMask, encoder.acceptsPackedText {
            try batch.validate(visualDim: visualDim, textDim: textDim)
            let layout = PackedLayout(paddingMask: textMask)
            let out = encoder(
                visual: visualProjector(batch.visual), packedText: textProjector(pack(batch.text, layout)),
                textLayout: layout, visualPaddingMask: batch.visualPaddingMask)
            let text = segmentMean(out.text, layout)
            return readout == .text ? text : concat([maskedMean(out.visual, paddingMask: batch.visualPaddingMask), text], axis: 1)
        }
        return pool(try encode(batch), batch)
    }

    /// The classifier's input from the streams after the cross-modal layers, as `readout` says.
    private func pool(_ out: CrossModalAttentionOutput, _ batch: FusionBatch) -> Tensor {
        if readout == .text { return maskedMean(out.text, paddingMask: batch.textPaddingMask) }
        return poolAndConcat(visual: out.visual, visualMask: batch.visualPaddingMask, text: out.text, textMask: batch.textPaddingMask)
    }

    public func callAsFunction(_ batch: FusionBatch) throws -> Tensor { classifier(try joint(batch)) }

    /// The logits and, with an auxiliary classifier, its logits over both streams' pooled features (nil without).
    public func trainingLogits(_ batch: FusionBatch) throws -> (logits: Tensor, auxiliary: Tensor?) {
        guard let auxiliaryClassifier else { return (try self(batch), nil) }
        let out = try encode(batch)
        let auxiliary = auxiliaryClassifier(
            poolAndConcat(visual: out.visual, visualMask: batch.visualPaddingMask, text: out.text, textMask: batch.textPaddingMask))
        return (classifier(pool(out, batch)), auxiliary)
    }

    /// The logits together with the last layer's attention weights (each head's), from one forward pass through
    /// the padded computation (equal to `callAsFunction` up to float rounding).
    public func logitsAndAttention(_ batch: FusionBatch) throws -> (logits: Tensor, attention: CrossModalAttentionOutput) {
        let out = try encode(batch, returnWeights: true, perHead: true)
        return (classifier(pool(out, batch)), out)
    }
}
