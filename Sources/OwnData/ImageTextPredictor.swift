import CrossModal
import Encoders
import Foundation
import Imaging
import Tensors

/// Answers for single images: the top labels with their probabilities (classify), match scores (match), and
/// per-head attention heatmaps, from a loaded bundle's model.
public final class ImageTextPredictor {
    public let model: ImageTextModel
    public let pipeline: InputPipeline

    public init(model: ImageTextModel, cacheRoot: URL = ModelCache.root()) {
        self.model = model
        pipeline = InputPipeline(config: model.config, cacheRoot: cacheRoot)
        model.eval()
    }

    /// The `k` most probable labels for `text` about `image`, with softmax probabilities, most probable first.
    public func answer(image: RGBImage, text: String, topK k: Int = 5) throws -> [(label: String, probability: Double)] {
        guard model.config.task == .classify else {
            throw ImageTextError.unsupported("this model was trained with --task match: it scores image–text pairs; it has no labels to answer with")
        }
        let logits = try Tape.withoutRecording { try model(try pipeline.batch(image: image, texts: [text])) }
        let row = logits.scalars.map(Double.init), top = row.max()!
        let e = row.map { Foundation.exp($0 - top) }, total = e.reduce(0, +)
        return e.indices.sorted { e[$0] > e[$1] }.prefix(k).map { (model.config.labels[$0], e[$0] / total) }
    }

    /// One match score per text (higher = better match): the match-logit margin, or the dual encoder's scaled
    /// cosine. For the two-way matching head, `probability` is P(match) = σ(margin); nil for the dual encoder.
    public func match(image: RGBImage, texts: [String]) throws -> [(score: Double, probability: Double?)] {
        guard model.config.task == .match else {
            throw ImageTextError.unsupported("this model was trained with --task classify: it answers with labels; use `predict` with one text")
        }
        let scores = try Tape.withoutRecording { try model.scores(try model.fusionBatch(try pipeline.batch(image: image, texts: texts))) }
        let dual = model.fusion is DualEncoder
        return scores.scalars.map { s in (Double(s), dual ? nil : 1 / (1 + Foundation.exp(-Double(s)))) }
    }

    /// Each head's text→image attention of the last cross-modal layer, averaged over the text's tokens:
    /// [heads][regions], row-major over the region grid. Throws for fusions without attention.
    public func attentionMaps(image: RGBImage, text: String) throws -> [[Double]] {
        let batch = try pipeline.batch(image: image, texts: [text])
        guard let out = try Tape.withoutRecording({ try model.attention(batch) }), let weights = out.textToVisualWeights else {
            throw ImageTextError.unsupported("a \(model.config.fusion.rawValue) model has no cross-attention to draw; heatmaps need "
                                             + "--fusion cross-attention or co-attention")
        }
        let (heads, t, r) = (weights.shape[1], weights.shape[2], weights.shape[3])
        let valid = (0..<t).filter { !batch.textMask.values[$0] }
        return (0..<heads).map { h in
            (0..<r).map { cell in valid.map { Double(weights.data[(h * t + $0) * r + cell]) }.reduce(0, +) / Double(max(valid.count, 1)) }
        }
    }

    /// The heatmap picture: one panel per head plus their mean, each the image tinted red by that head's
    /// text→image attention over the region grid (min–max scaled per panel), titled with the text.
    public func heatmap(image: RGBImage, text: String, caption: String) throws -> RGBImage {
        let maps = try attentionMaps(image: image, text: text)
        let mean = maps[0].indices.map { i in maps.map { $0[i] }.reduce(0, +) / Double(maps.count) }
        return AttentionHeatmap.render(image: image, maps: maps + [mean], names: maps.indices.map { "head \($0 + 1)" } + ["mean"],
                                       grid: model.grid, title: [text, caption])
    }
}
