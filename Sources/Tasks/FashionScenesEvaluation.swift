import CrossModal
import Foundation
import NN
import Tensors

/// Test metrics of a fashion-scenes model: hard-negative matching (how often the true caption outscores the
/// same caption with two articles' positions swapped, or with an article replaced; chance 50%) and
/// retrieval over all test scenes (recall at 1, 5, 10 for image→text and text→image, counting a retrieved
/// caption or scene as correct when the caption is true of the scene, so rare duplicates are not penalised).
public struct FashionScenesEvaluation: Codable, Sendable, Equatable {
    public var swappedPositions: Double
    public var swappedItems: Double
    /// R@1, R@5, R@10.
    public var imageToText: [Double]
    public var textToImage: [Double]
    public var scenes: Int

    public static let recallKs = [1, 5, 10]

    /// Evaluates `model` on the first `limit` scenes of `split` (all by default); `retrieval: false` skips the
    /// n×n retrieval scores (for the curves during training).
    public init(model: FashionScenesModel, split: FashionScenesFeatures.Split, limit: Int? = nil, retrieval: Bool = true) throws {
        let n = min(limit ?? split.count, split.count)
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let scorer = try Tape.withoutRecording { try PairScorer(model: model, split: split, count: n) }
        let rows = Array(0..<n)
        let positive = scorer.scores(images: rows, captions: rows.map { 3 * $0 })
        let positions = scorer.scores(images: rows, captions: rows.map { 3 * $0 + 1 })
        let items = scorer.scores(images: rows, captions: rows.map { 3 * $0 + 2 })
        swappedPositions = Double(rows.filter { positive[$0] > positions[$0] }.count) / Double(max(n, 1))
        swappedItems = Double(rows.filter { positive[$0] > items[$0] }.count) / Double(max(n, 1))
        scenes = n
        guard retrieval else {
            (imageToText, textToImage) = ([], [])
            return
        }
        let matrix = scorer.matrix()
        let truth = split.scenes.prefix(n).map { scene in split.scenes.prefix(n).map { $0.caption.holds(in: scene.labels) } }
        func recall(_ query: (Int) -> [Float], _ correct: (Int, Int) -> Bool) -> [Double] {
            var hits = [Int](repeating: 0, count: Self.recallKs.count)
            for q in 0..<n {
                let s = query(q)
                let ranked = (0..<n).sorted { (s[$0], $1) > (s[$1], $0) }
                let first = ranked.firstIndex { correct(q, $0) } ?? n
                for (k, cut) in Self.recallKs.enumerated() where first < cut { hits[k] += 1 }
            }
            return hits.map { Double($0) / Double(max(n, 1)) }
        }
        imageToText = recall({ i in Array(matrix[(i * n)..<((i + 1) * n)]) }, { i, j in truth[i][j] })
        textToImage = recall({ j in (0..<n).map { matrix[$0 * n + j] } }, { j, i in truth[i][j] })
    }
}

/// Scores (image, caption) pairs of a split with a model's projections computed once per image and caption.
struct PairScorer {
    let model: FashionScenesModel
    let split: FashionScenesFeatures.Split
    let count: Int
    /// Projected (and for the dual encoder, pooled and normalised) visual tokens of each image.
    let visual: Tensor
    /// Projected text tokens of each caption row, padded to the longest.
    let text: Tensor
    let lengths: [Int]

    init(model: FashionScenesModel, split: FashionScenesFeatures.Split, count: Int) throws {
        (self.model, self.split, self.count) = (model, split, count)
        let batch = FashionScenesModel.batch(split, images: Array(0..<count), captions: Array(0..<(3 * count)))
        lengths = Array(split.lengths[0..<(3 * count)])
        switch model.fusion {
        case let m as DualEncoder:
            visual = l2Normalize(maskedMean(m.visualProjector(batch.visual), paddingMask: nil))
            text = l2Normalize(maskedMean(m.textProjector(batch.text), paddingMask: batch.textPaddingMask))
        case let m as ConcatFusion:
            visual = maskedMean(m.visualProjector(batch.visual), paddingMask: nil)
            text = maskedMean(m.textProjector(batch.text), paddingMask: batch.textPaddingMask)
        case let m as CrossAttentionFusion:
            visual = m.visualProjector(batch.visual)
            text = m.textProjector(batch.text)
        default:
            preconditionFailure("PairScorer: unknown fusion model \(type(of: model.fusion))")
        }
    }

    /// Scores of the pairs (images[k], captions[k]) (caption rows: 3·scene + kind).
    func scores(images: [Int], captions: [Int]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(images.count)
        for start in stride(from: 0, to: images.count, by: 512) {
            let end = min(start + 512, images.count)
            out += Tape.withoutRecording { chunk(Array(images[start..<end]), Array(captions[start..<end])).scalars }
        }
        return out
    }

    /// Scores [count · count] of every image (row) with every true caption (column).
    func matrix() -> [Float] {
        if let m = model.fusion as? DualEncoder {
            return Tape.withoutRecording {
                let captions = indexSelect(text, axis: 0, indices: (0..<count).map { 3 * $0 })
                let scale = Foundation.exp(Swift.min(m.logitScale.item, DualEncoder.maxLogitScale))
                return mul(matmul(visual, captions, transposeB: true), Tensor(scale)).scalars
            }
        }
        let images = (0..<count).flatMap { i in [Int](repeating: i, count: count) }
        let captions = (0..<count).flatMap { _ in (0..<count).map { 3 * $0 } }
        return scores(images: images, captions: captions)
    }

    private func chunk(_ images: [Int], _ captions: [Int]) -> Tensor {
        let v = indexSelect(visual, axis: 0, indices: images)
        var t = indexSelect(text, axis: 0, indices: captions)
        let lengths = captions.map { self.lengths[$0] }
        let longest = lengths.max() ?? 1
        let logits: Tensor
        switch model.fusion {
        case let m as DualEncoder:
            let scale = Foundation.exp(Swift.min(m.logitScale.item, DualEncoder.maxLogitScale))
            return mul(sum(mul(v, t), axes: [1]), Tensor(scale))
        case let m as ConcatFusion:
            logits = m.classifier(concat([v, t], axis: 1))
        case let m as CrossAttentionFusion:
            if t.rank == 3 && longest < t.shape[1] { t = slice(t, axis: 1, 0..<longest) }
            let mask = Mask.padding(lengths: lengths, maxLength: longest)
            let out = m.encoder(visual: v, text: t, visualPaddingMask: nil, textPaddingMask: mask, returnWeights: false)
            logits = m.classifier(concat([maskedMean(out.visual, paddingMask: nil), maskedMean(out.text, paddingMask: mask)], axis: 1))
        default:
            preconditionFailure("PairScorer: unknown fusion model \(type(of: model.fusion))")
        }
        return reshape(sub(slice(logits, axis: 1, 1..<2), slice(logits, axis: 1, 0..<1)), [images.count])
    }
}
