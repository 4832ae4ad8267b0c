import CrossModal
import Tensors

/// A synthetic task that needs cross-modal *binding*: "is there a ⟨colour⟩ ⟨shape⟩ among the regions?"
///
/// Each image is `regions` region vectors (one-hot colour ‖ one-hot shape, plus noise); each question is a
/// colour token and a shape token (plus padding tokens full of noise that the mask must hide). Negatives always
/// contain the asked colour and the asked shape — on different regions — and the colour and shape counts have
/// the same distribution for both answers, so pooled features, which add the regions up before they meet the
/// question, carry no signal. Only a model whose
/// text attends to individual regions can tell them apart.
public struct BindingTask: Sendable {
    public var colors = 4
    public var shapes = 4
    public var regions = 6
    public var maxTokens = 4
    public var noise: Float = 0.1

    public init() {}

    /// Width of region and token features (colour one-hot followed by shape one-hot).
    public var featureDim: Int { colors + shapes }

    /// A batch of `size` questions with balanced yes (1) / no (0) answers drawn from `generator`.
    public func batch(size: Int, using generator: inout RandomGenerator) -> (batch: FusionBatch, labels: [Int]) {
        let d = featureDim
        let visual = Tensor(zeros: [size, regions, d]), text = Tensor(zeros: [size, maxTokens, d])
        var lengths: [Int] = [], labels: [Int] = []
        for b in 0..<size {
            let color = generator.int(below: colors), shape = generator.int(below: shapes)
            let yes = generator.int(below: 2) == 1
            // Both answers put the asked colour and shape and one other colour and shape on two regions — paired
            // up (yes) or crossed (no) — so the per-colour and per-shape counts have the same distribution.
            let otherColor = other(than: color, below: colors, &generator)
            let otherShape = other(than: shape, below: shapes, &generator)
            var items = yes ? [(color, shape), (otherColor, otherShape)] : [(color, otherShape), (otherColor, shape)]
            while items.count < regions {
                let c = generator.int(below: colors), s = generator.int(below: shapes)
                if !(c == color && s == shape) { items.append((c, s)) }
            }
            items.shuffle(using: &generator)
            for (r, (c, s)) in items.enumerated() {
                let row = visual.mutableData + (b * regions + r) * d
                row[c] = 1
                row[colors + s] = 1
            }
            let length = 2 + generator.int(below: maxTokens - 1)
            text.mutableData[(b * maxTokens) * d + color] = 1
            text.mutableData[(b * maxTokens + 1) * d + colors + shape] = 1
            for t in 2..<maxTokens {
                for j in 0..<d { text.mutableData[(b * maxTokens + t) * d + j] = generator.normal() }
            }
            lengths.append(length)
            labels.append(yes ? 1 : 0)
        }
        for t in [visual, text] {
            for i in 0..<t.count { t.mutableData[i] += noise * generator.normal() }
        }
        let batch = FusionBatch(
            visual: visual, text: text, textPaddingMask: Mask.padding(lengths: lengths, maxLength: maxTokens))
        return (batch, labels)
    }

    private func other(than value: Int, below n: Int, _ generator: inout RandomGenerator) -> Int {
        (value + 1 + generator.int(below: n - 1)) % n
    }
}
