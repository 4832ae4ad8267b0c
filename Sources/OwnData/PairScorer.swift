import CrossModal
import NN
import Tensors

/// Match scores of many (image, text) pairs of a matching model: every image's regions and every text's tokens
/// are encoded and projected once (and pooled, where the fusion pools before the streams meet), so a pair costs
/// only the fusion's pairwise part — a dot product for the dual encoder, the classifier for concat and grid-MLP,
/// the cross-modal layers and classifier for the attention fusions. A score is what `ImageTextModel.scores`
/// gives: the dual encoder's scaled cosine, the others' match-logit margin. Runs in eval mode, unrecorded.
public struct PairScorer {
    public let model: ImageTextModel
    /// Per image: projected regions [N, R, w] (attention fusions), the flattened projected grid [N, R·w]
    /// (grid-MLP), or the pooled projection [N, w] (concat; L2-normalised for the dual encoder).
    private let visual: Tensor
    /// Per text: projected tokens [M, T, w] (attention fusions) or the pooled projection [M, w].
    private let text: Tensor
    private let lengths: [Int]

    /// Images `images` of `data` (default: all; numbered 0… in that order in `scores`) and `texts` (default:
    /// `data`'s own texts), `imagesPerBatch` images encoded at a time.
    public init(model: ImageTextModel, data: ImageTextData, images: [Int]? = nil, texts: ImageTextData.Texts? = nil,
                imagesPerBatch: Int = 50) throws {
        self.model = model
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let images = images ?? Array(0..<data.imageCount), n = images.count, texts = texts ?? data.texts
        let (regions, tokens, lengths) = try Tape.withoutRecording { () throws -> (Tensor, Tensor, [Int]) in
            let regions = concat(try stride(from: 0, to: n, by: imagesPerBatch).map { start in
                model.regions(try data.pixels(Array(images[start..<min(start + imagesPerBatch, n)])))
            }, axis: 0)
            var parts: [(tokens: Tensor, lengths: [Int])] = []
            for start in stride(from: 0, to: texts.count, by: 256) {
                let rows = Array(start..<min(start + 256, texts.count))
                let (text, mask) = ImageTextData.textBatch(texts, rows: rows)
                let batch = ImageTextBatch(images: regions, text: text, textMask: mask, imageOfText: rows.map { _ in 0 })
                let t = mask.shape[1]
                parts.append((try model.tokens(batch), (0..<rows.count).map { r in (0..<t).filter { !mask.values[r * t + $0] }.count }))
            }
            let t = parts.map { $0.tokens.shape[1] }.max() ?? 1
            return (regions, concat(parts.map { Self.pad($0.tokens, to: t) }, axis: 0), parts.flatMap(\.lengths))
        }
        self.lengths = lengths
        let mask = Mask.padding(lengths: lengths, maxLength: tokens.shape[1])
        (visual, text) = Tape.withoutRecording {
            switch model.fusion {
            case let m as DualEncoder:
                (ImageTextLoss.pooled(m, visual: regions, mask: nil), ImageTextLoss.pooled(m, text: tokens, mask: mask))
            case let m as ConcatFusion:
                (maskedMean(m.visualProjector(regions), paddingMask: nil), maskedMean(m.textProjector(tokens), paddingMask: mask))
            case let m as GridConcatFusion:
                (reshape(m.visualProjector(regions), [n, m.regions * m.width]), maskedMean(m.textProjector(tokens), paddingMask: mask))
            case let m as CrossAttentionFusion:
                (m.visualProjector(regions), m.textProjector(tokens))
            default:
                preconditionFailure("PairScorer: unknown fusion model \(type(of: model.fusion))")
            }
        }
    }

    /// Number of texts scored against the images.
    public var textCount: Int { lengths.count }

    /// Scores of the pairs (images[k], texts[k]).
    public func scores(images: [Int], texts: [Int]) -> [Float] {
        precondition(images.count == texts.count, "PairScorer.scores: \(images.count) images for \(texts.count) texts")
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var out: [Float] = []
        out.reserveCapacity(images.count)
        for start in stride(from: 0, to: images.count, by: 512) {
            let end = min(start + 512, images.count)
            out += Tape.withoutRecording { chunk(Array(images[start..<end]), Array(texts[start..<end])).scalars }
        }
        return out
    }

    /// Scores [images × texts], row-major: every image with every text.
    public func matrix() -> [Float] {
        let n = visual.shape[0], m = textCount
        if let dual = model.fusion as? DualEncoder {
            return Tape.withoutRecording { mul(matmul(visual, text, transposeB: true), dual.scale).scalars }
        }
        return scores(images: (0..<n).flatMap { [Int](repeating: $0, count: m) }, texts: (0..<n).flatMap { _ in Array(0..<m) })
    }

    private func chunk(_ images: [Int], _ texts: [Int]) -> Tensor {
        let v = indexSelect(visual, axis: 0, indices: images)
        var t = indexSelect(text, axis: 0, indices: texts)
        let logits: Tensor
        switch model.fusion {
        case let m as DualEncoder:
            return mul(sum(mul(v, t), axes: [1]), m.scale)
        case let m as ConcatFusion:
            logits = m.classifier(concat([v, t], axis: 1))
        case let m as GridConcatFusion:
            logits = m.classifier(concat([v, t], axis: 1))
        case let m as CrossAttentionFusion:
            let lengths = texts.map { self.lengths[$0] }, longest = max(lengths.max() ?? 1, 1)
            if longest < t.shape[1] { t = slice(t, axis: 1, 0..<longest) }
            let mask = Mask.padding(lengths: lengths, maxLength: longest)
            let out = m.encoder(visual: v, text: t, visualPaddingMask: nil, textPaddingMask: mask, returnWeights: false)
            logits = m.classifier(concat([maskedMean(out.visual, paddingMask: nil), maskedMean(out.text, paddingMask: mask)], axis: 1))
        default:
            preconditionFailure("PairScorer: unknown fusion model \(type(of: model.fusion))")
        }
        return reshape(sub(slice(logits, axis: 1, 1..<2), slice(logits, axis: 1, 0..<1)), [images.count])
    }

    /// Token features [B, T', D] zero-padded to `t` positions.
    private static func pad(_ x: Tensor, to t: Int) -> Tensor {
        x.shape[1] == t ? x : concat([x, Tensor(zeros: [x.shape[0], t - x.shape[1], x.shape[2]])], axis: 1)
    }
}
