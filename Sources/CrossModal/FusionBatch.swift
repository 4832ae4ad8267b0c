import Tensors

/// One batch of paired image and text features for a fusion model.
public struct FusionBatch {
    /// Region features [B, R, visualDim] (a CNN grid, detector regions or one pooled vector with R = 1).
    public var visual: Tensor
    /// [B, R], true where a region is padding (images with fewer regions); nil = all valid.
    public var visualPaddingMask: Mask?
    /// Token features [B, T, textDim].
    public var text: Tensor
    /// [B, T], true where a token is padding; nil = all valid.
    public var textPaddingMask: Mask?

    /// true (the default): NaN/Inf in either feature tensor makes `validate` throw `FusionInputError.nonFinite`.
    /// false: they pass through to the model (the Trainer's non-finite guard then skips and reports the step).
    public var rejectNonFinite: Bool

    public init(visual: Tensor, visualPaddingMask: Mask? = nil, text: Tensor, textPaddingMask: Mask? = nil,
                rejectNonFinite: Bool = true) {
        self.visual = visual
        self.visualPaddingMask = visualPaddingMask
        self.text = text
        self.textPaddingMask = textPaddingMask
        self.rejectNonFinite = rejectNonFinite
    }

    public var batchSize: Int { visual.shape.first ?? 0 }

    /// Checks the batch against a model's input widths (and for NaN/Inf when `rejectNonFinite`); throws a
    /// `FusionInputError` that says how to fix it. Every fusion model calls it first.
    public func validate(visualDim: Int, textDim: Int) throws {
        try Self.checkFeatures(visual, modality: .visual, width: visualDim)
        try Self.checkFeatures(text, modality: .text, width: textDim)
        guard visual.shape[0] == text.shape[0] else {
            throw FusionInputError.batchMismatch(visual: visual.shape[0], text: text.shape[0])
        }
        try Self.checkMask(visualPaddingMask, modality: .visual, features: visual)
        try Self.checkMask(textPaddingMask, modality: .text, features: text)
        if rejectNonFinite {
            for (modality, t) in [(Modality.visual, visual), (.text, text)] {
                let p = t.data
                var bad = 0
                for i in 0..<t.count where !p[i].isFinite { bad += 1 }
                if bad > 0 { throw FusionInputError.nonFinite(modality: modality, count: bad, total: t.count) }
            }
        }
    }

    private static func checkFeatures(_ t: Tensor, modality: Modality, width: Int) throws {
        guard t.rank == 3 else { throw FusionInputError.wrongRank(modality: modality, shape: t.shape) }
        guard t.shape[0] > 0, t.shape[1] > 0 else { throw FusionInputError.empty(modality: modality, shape: t.shape) }
        guard t.shape[2] == width else {
            throw FusionInputError.widthMismatch(modality: modality, found: t.shape[2], expected: width)
        }
    }

    private static func checkMask(_ mask: Mask?, modality: Modality, features: Tensor) throws {
        guard let mask else { return }
        let expected = [features.shape[0], features.shape[1]]
        guard mask.shape == expected else {
            throw FusionInputError.maskShape(modality: modality, expected: expected, found: mask.shape)
        }
    }
}

/// The two modalities, for error messages.
public enum Modality: String, Sendable { case visual, text }

/// A fusion batch that does not fit the model; each case says what was expected, what was found and the fix.
public enum FusionInputError: Error, CustomStringConvertible, Equatable {
    case wrongRank(modality: Modality, shape: [Int])
    case widthMismatch(modality: Modality, found: Int, expected: Int)
    case batchMismatch(visual: Int, text: Int)
    case maskShape(modality: Modality, expected: [Int], found: [Int])
    case nonFinite(modality: Modality, count: Int, total: Int)
    case regionCount(found: Int, expected: Int)
    case empty(modality: Modality, shape: [Int])

    public var description: String {
        switch self {
        case let .wrongRank(m, shape):
            return "\(m.rawValue) features have shape \(shape) but must be [batch, \(m == .visual ? "regions" : "tokens"), width]; add a length-1 axis for a single pooled vector"
        case let .widthMismatch(m, found, expected):
            return "\(m.rawValue) features have width \(found) but the model expects \(expected): give the model a FeatureProjector(inputDim: \(found), outputDim: <fusion width>) by building it with \(m.rawValue)Dim: \(found)"
        case let .batchMismatch(v, t):
            return "visual batch has \(v) items but text batch has \(t): pair every image with exactly one text"
        case let .maskShape(m, expected, found):
            return "\(m.rawValue) padding mask has shape \(found) but must be \(expected) ([batch, \(m == .visual ? "regions" : "tokens")], true = padding)"
        case let .nonFinite(m, count, total):
            return "\(m.rawValue) features contain \(count) NaN/Inf values out of \(total): clean the extractor output, or build the FusionBatch with rejectNonFinite: false to let them through"
        case let .empty(m, shape) where shape[0] == 0:
            return "\(m.rawValue) features have shape \(shape): a batch needs at least one (image, text) pair"
        case let .empty(m, shape):
            return "\(m.rawValue) features have shape \(shape), with no \(m == .visual ? "regions" : "tokens"): give every "
                + (m == .visual ? "image at least one region (a pooled vector is one region)"
                                : "text at least one position (an empty text is one padding position with its mask set)")
        case let .regionCount(found, expected):
            return "visual features have \(found) regions but this grid model was built for \(expected): use the same extractor grid, or build the model with regions: \(found)"
        }
    }
}
