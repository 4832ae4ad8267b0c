import CrossModal
import Foundation
import NN
import Tensors

/// The images a matching model searches by text. Building it encodes and projects every image once (frozen
/// features through the cache's shards); a query then ranks in two stages: every image by the cosine of the
/// pooled projections (the similarity matching draws its hard negatives by), then the top `shortlist` by the
/// model's own match score — one matrix product over the index plus `shortlist` fusion passes per query, not
/// one fusion pass per image.
public final class RetrievalIndex {
    /// One result: an image of the index and its match score (`ImageTextModel.scores`).
    public struct Hit: Equatable, Sendable {
        public let image: Int
        public let score: Float
    }

    /// Each image's path as the manifest wrote it, and its file.
    public let names: [String], urls: [URL]
    public let model: ImageTextModel
    private let pipeline: InputPipeline
    private let data: ImageTextData
    /// Pooled, L2-normalised image projections [N, width].
    private let embeddings: Tensor

    /// Indexes the distinct images of `manifest` (its texts are not used for search) for `model`, a matching model.
    public init(model: ImageTextModel, manifest: Manifest, pipeline: InputPipeline, imagesPerBatch: Int = 50) throws {
        precondition(model.config.task == .match, "RetrievalIndex: a \(model.config.task.rawValue) model scores no pairs")
        let data = try pipeline.prepare(manifest)
        let first = data.examplesOfImage.map { data.entries[$0[0]] }
        (self.model, self.pipeline, self.data, names, urls) = (model, pipeline, data, first.map(\.image), first.map(\.imageURL))
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let n = data.imageCount
        embeddings = try Tape.withoutRecording {
            concat(try stride(from: 0, to: n, by: imagesPerBatch).map { start in
                ImageTextLoss.pooled(model.fusion, visual: model.regions(try data.pixels(Array(start..<min(start + imagesPerBatch, n)))), mask: nil)
            }, axis: 0)
        }
    }

    /// A manifest of the PNG and JPEG files in `folder` (sorted by name; each file's name is its text).
    public static func manifest(folder: URL) throws -> Manifest {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        return Manifest(url: folder, entries: names.enumerated().map { line, name in
            ManifestEntry(line: line + 1, image: name, imageURL: folder.appendingPathComponent(name), text: (name as NSString).deletingPathExtension)
        })
    }

    /// Images indexed.
    public var count: Int { names.count }

    /// For each of `texts`, its `topK` images, best first: the `shortlist` images of highest embedding cosine,
    /// ordered by the model's match score (`shortlist` ≥ `count` scores every image).
    public func search(_ texts: [String], topK: Int, shortlist: Int = 50) throws -> [[Hit]] {
        precondition(topK >= 1 && shortlist >= topK, "RetrievalIndex.search: top \(topK) of a shortlist of \(shortlist)")
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let queries = try pipeline.texts(texts, cached: false)
        let similarity = try Tape.withoutRecording { () throws -> [Float] in
            let (text, mask) = ImageTextData.textBatch(queries, rows: Array(texts.indices))
            let tokens = try model.tokens(ImageTextBatch(images: Tensor(zeros: [1]), text: text, textMask: mask, imageOfText: texts.map { _ in 0 }))
            return matmul(ImageTextLoss.pooled(model.fusion, text: tokens, mask: mask), embeddings, transposeB: true).scalars
        }
        let n = count, k = min(shortlist, n)
        let shortlists = texts.indices.map { q in
            Array((0..<n).sorted { similarity[q * n + $0] > similarity[q * n + $1] || (similarity[q * n + $0] == similarity[q * n + $1] && $0 < $1) }.prefix(k))
        }
        let images = Array(Set(shortlists.joined())).sorted()
        let position = Dictionary(uniqueKeysWithValues: images.enumerated().map { ($1, $0) })
        let scorer = try PairScorer(model: model, data: data, images: images, texts: queries)
        let pairs = shortlists.enumerated().flatMap { q, list in list.map { (position[$0]!, q) } }
        let scores = scorer.scores(images: pairs.map(\.0), texts: pairs.map(\.1))
        return shortlists.enumerated().map { q, list in
            let offset = shortlists[..<q].map(\.count).reduce(0, +)
            let hits = list.enumerated().map { Hit(image: $1, score: scores[offset + $0]) }
            return Array(hits.sorted { $0.score > $1.score || ($0.score == $1.score && $0.image < $1.image) }.prefix(topK))
        }
    }
}
