import CrossModal
import Encoders
import Foundation
import Imaging
import Tensors

/// Answers from a loaded bundle's model: the top labels with their probabilities (classify), match scores
/// (match) and per-head attention maps, for many images at once in one batched forward pass, or for one.
public final class ImageTextPredictor {
    public let model: ImageTextModel
    public let pipeline: InputPipeline

    /// One image's answer: labels, most probable first, and (when asked) each head's text→image attention.
    public struct Answer {
        public let labels: [(label: String, probability: Double)]
        /// [heads][regions], row-major over `model.grid`, averaged over the text's tokens.
        public let attention: [[Double]]?

        public init(labels: [(label: String, probability: Double)], attention: [[Double]]?) {
            (self.labels, self.attention) = (labels, attention)
        }
    }

    /// One text's match: the match-logit margin or the dual encoder's scaled cosine (higher = better), and for
    /// the two-way matching head P(match) = σ(margin) (nil for the dual encoder).
    public typealias Match = (score: Double, probability: Double?)

    public init(model: ImageTextModel, cacheRoot: URL = ModelCache.root()) {
        self.model = model
        pipeline = InputPipeline(config: model.config, cacheRoot: cacheRoot)
        model.eval()
    }

    /// Whether the model has cross-attention maps to show (cross-attention and co-attention fusions).
    public var hasAttention: Bool { model.fusion is CrossAttentionFusion }

    /// The `k` most probable labels for each question (an image and a text about it), with softmax
    /// probabilities, and with `attention` each head's map: one forward pass for all of them.
    public func answer(_ questions: [(image: RGBImage, text: String)], topK k: Int = 5, attention: Bool = false) throws -> [Answer] {
        guard model.config.task == .classify else {
            throw ImageTextError.unsupported("this model was trained with --task match: it scores image–text pairs; it has no labels to answer with")
        }
        guard !attention || hasAttention else { throw noAttention }
        guard !questions.isEmpty else { return [] }
        let batch = try pipeline.batch(images: questions.map(\.image), texts: questions.map { [$0.text] })
        let (logits, weights) = try Tape.withoutRecording { () throws -> (Tensor, Tensor?) in
            guard attention, let out = try model.logitsAndAttention(batch) else { return (try model(batch), nil) }
            return (out.logits, out.attention.textToVisualWeights)
        }
        let classes = logits.shape[1]
        return questions.indices.map { q in
            let row = (0..<classes).map { Double(logits.data[q * classes + $0]) }, top = row.max()!
            let e = row.map { Foundation.exp($0 - top) }, total = e.reduce(0, +)
            let labels = e.indices.sorted { e[$0] > e[$1] }.prefix(k).map { (model.config.labels[$0], e[$0] / total) }
            return Answer(labels: labels, attention: weights.map { Self.maps($0, row: q, textMask: batch.textMask) })
        }
    }

    /// The `k` most probable labels for `text` about `image`, with softmax probabilities, most probable first.
    public func answer(image: RGBImage, text: String, topK k: Int = 5) throws -> [(label: String, probability: Double)] {
        try answer([(image, text)], topK: k)[0].labels
    }

    /// One match per text of each query (an image and texts about it): one forward pass for all of them.
    public func match(_ queries: [(image: RGBImage, texts: [String])]) throws -> [[Match]] {
        guard model.config.task == .match else {
            throw ImageTextError.unsupported("this model was trained with --task classify: it answers with labels; use `predict` with one text")
        }
        guard !queries.isEmpty else { return [] }
        let batch = try pipeline.batch(images: queries.map(\.image), texts: queries.map(\.texts))
        let scores = try Tape.withoutRecording { try model.scores(try model.fusionBatch(batch)) }
        let dual = model.fusion is DualEncoder
        var next = 0
        return queries.map { query in
            query.texts.map { _ in
                defer { next += 1 }
                let s = Double(scores.data[next])
                return (s, dual ? nil : 1 / (1 + Foundation.exp(-s)))
            }
        }
    }

    /// One match per text of `texts` about `image`.
    public func match(image: RGBImage, texts: [String]) throws -> [Match] { try match([(image, texts)])[0] }

    /// Each head's text→image attention of the last cross-modal layer, averaged over the text's tokens:
    /// [heads][regions], row-major over the region grid. Throws for fusions without attention.
    public func attentionMaps(image: RGBImage, text: String) throws -> [[Double]] {
        guard hasAttention else { throw noAttention }
        let batch = try pipeline.batch(images: [image], texts: [[text]])
        let weights = try Tape.withoutRecording { try model.logitsAndAttention(batch)!.attention.textToVisualWeights! }
        return Self.maps(weights, row: 0, textMask: batch.textMask)
    }

    /// The heatmap picture: one panel per head plus their mean, each the image tinted red by that head's
    /// text→image attention over the region grid (min–max scaled per panel), titled with the text.
    public func heatmap(image: RGBImage, text: String, caption: String) throws -> RGBImage {
        let maps = try attentionMaps(image: image, text: text)
        let mean = maps[0].indices.map { i in maps.map { $0[i] }.reduce(0, +) / Double(maps.count) }
        return AttentionHeatmap.render(image: image, maps: maps + [mean], names: maps.indices.map { "head \($0 + 1)" } + ["mean"],
                                       grid: model.grid, title: [text, caption])
    }

    private var noAttention: ImageTextError {
        .unsupported("a \(model.config.fusion.rawValue) model has no cross-attention to draw; attention maps need "
                     + "--fusion cross-attention or co-attention")
    }

    /// Text `row`'s per-head maps from text→regions weights [B, heads, T, R], averaged over its valid tokens.
    static func maps(_ weights: Tensor, row: Int, textMask: Mask) -> [[Double]] {
        let (heads, t, r) = (weights.shape[1], weights.shape[2], weights.shape[3])
        let valid = (0..<t).filter { !textMask.values[row * t + $0] }
        return (0..<heads).map { h in
            (0..<r).map { cell in
                valid.map { Double(weights.data[((row * heads + h) * t + $0) * r + cell]) }.reduce(0, +) / Double(max(valid.count, 1))
            }
        }
    }
}
