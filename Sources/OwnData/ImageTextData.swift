import Encoders
import Foundation
import Imaging
import Tensors

/// A manifest made ready for a model: its images (pixels, or cached region features) and texts (token ids, or
/// cached token features), grouped by image so an image encoder runs once per image in a batch.
public struct ImageTextData {
    /// The images as the model's image side needs them.
    public enum Images {
        /// For the small CNN, at its input side; batched as 0…1 pixels.
        case cnnPixels(ImageStore)
        /// For a fine-tuned EfficientNet, at 224 px; batched ImageNet-normalised.
        case imageNetPixels(ImageStore)
        /// Frozen region features [R, D] per image, in memory.
        case features([Tensor])
        /// Frozen region features [R, D] per image, read from the cache's shards as batches need them.
        case featureShards(FeatureShards)
    }

    /// The texts as the model's text side needs them.
    public enum Texts {
        /// Token ids per text (already cut to the encoder's maximum), padded with `padID` in batches.
        case tokens([[Int]], padID: Int)
        /// Frozen token features [length, D] per text.
        case features([Tensor])
        /// Frozen token features read from the cache's shards as batches need them: text i is shard row `rows[i]`
        /// (equal texts share a row), whose first `lengths[rows[i]]` tokens are its features (the rest padding).
        case featureShards(FeatureShards, rows: [Int], lengths: [Int])

        /// Number of texts.
        public var count: Int {
            switch self {
            case let .tokens(all, _): all.count
            case let .features(all): all.count
            case let .featureShards(_, rows, _): rows.count
            }
        }
    }

    /// The examples kept (bad images skipped), in manifest order.
    public let entries: [ManifestEntry]
    public let images: Images
    public let texts: Texts
    /// Each example's image (index into the unique images).
    public let imageOfExample: [Int]
    /// Each image's examples, in order.
    public let examplesOfImage: [[Int]]
    /// Each example's label index in the model's label list; -1 for no label or one training never saw.
    public let labels: [Int]
    /// Examples skipped for bad images, and texts cut to the encoder's maximum length.
    public let skipped: Int, truncated: Int

    public init(entries: [ManifestEntry], images: Images, texts: Texts, imageOfExample: [Int], labels: [Int],
                skipped: Int = 0, truncated: Int = 0) {
        var byImage = [[Int]](repeating: [], count: imageOfExample.max().map { $0 + 1 } ?? 0)
        for (e, i) in imageOfExample.enumerated() { byImage[i].append(e) }
        (self.entries, self.images, self.texts, self.imageOfExample, self.examplesOfImage, self.labels) =
            (entries, images, texts, imageOfExample, byImage, labels)
        (self.skipped, self.truncated) = (skipped, truncated)
    }

    public var count: Int { entries.count }
    /// Whether batches read their images from files (so building them is worth doing ahead of the step).
    public var streams: Bool {
        switch images {
        case let .cnnPixels(store), let .imageNetPixels(store): store.streams
        case .features: false
        case .featureShards: true
        }
    }
    public var imageCount: Int { examplesOfImage.count }

    /// The batch of `examples`, each image of `imageIndices` once (`owners[k]` is the position in
    /// `imageIndices` of example k's image).
    /// `images` is the images' tensor when it is already built (by a `BatchPrefetcher`). Texts are padded to
    /// the longest of them, or to `textLength` when that is longer (a shard of a batch padded as the whole).
    public func batch(examples: [Int], imageIndices: [Int], owners: [Int], images: Tensor? = nil, textLength: Int = 1) throws -> ImageTextBatch {
        let (text, mask) = Self.textBatch(texts, rows: examples, length: textLength)
        return ImageTextBatch(images: try images ?? pixels(imageIndices), text: text, textMask: mask, imageOfText: owners)
    }

    /// The images at `imageIndices` as the model's image side takes them (see `ImageTextBatch.images`), files
    /// decoded on up to `workers` threads.
    public func pixels(_ imageIndices: [Int], workers: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Tensor {
        switch images {
        case let .cnnPixels(store): RGBImage.batchTensor(try store.images(imageIndices, workers: workers))
        case let .imageNetPixels(store): ImageNetPreprocessing.batch(try store.images(imageIndices, workers: workers))
        case let .features(all): stack(imageIndices.map { all[$0] }, axis: 0)
        case let .featureShards(shards): shards.rows(imageIndices)
        }
    }

    /// All examples of `imageIndices`, each image once.
    public func batch(imageIndices: [Int]) throws -> ImageTextBatch {
        let examples = imageIndices.flatMap { examplesOfImage[$0] }
        let owners = imageIndices.indices.flatMap { p in [Int](repeating: p, count: examplesOfImage[imageIndices[p]].count) }
        return try batch(examples: examples, imageIndices: imageIndices, owners: owners)
    }

    /// The number of tokens of each of the texts of `examples`.
    public func textLengths(_ examples: [Int]) -> [Int] {
        switch texts {
        case let .tokens(all, _): examples.map { all[$0].count }
        case let .features(all): examples.map { all[$0].shape[0] }
        case let .featureShards(_, rows, tokens): examples.map { tokens[rows[$0]] }
        }
    }

    /// Texts `rows` padded to the longest (at least `length`), with their padding mask.
    static func textBatch(_ texts: Texts, rows: [Int], length: Int = 1) -> (ImageTextBatch.Text, Mask) {
        switch texts {
        case let .tokens(all, padID):
            let sequences = rows.map { all[$0] }
            let t = max(sequences.map(\.count).max() ?? 1, length)
            var ids = [Int](repeating: padID, count: rows.count * t)
            for (r, s) in sequences.enumerated() { for (j, id) in s.enumerated() { ids[r * t + j] = id } }
            return (.tokens(ids), Mask.padding(lengths: sequences.map(\.count), maxLength: t))
        case let .features(all):
            let parts = rows.map { all[$0] }
            let lengths = parts.map { $0.shape[0] }, t = max(lengths.max() ?? 1, length), d = parts.first?.shape[1] ?? 1
            let out = Tensor(zeros: [rows.count, t, d])
            for (r, p) in parts.enumerated() { (out.mutableData + r * t * d).update(from: p.data, count: p.count) }
            return (.features(out), Mask.padding(lengths: lengths, maxLength: t))
        case let .featureShards(shards, all, tokens):
            let lengths = rows.map { tokens[all[$0]] }, t = max(lengths.max() ?? 1, length), d = shards.rowShape[1]
            let out = Tensor(zeros: [rows.count, t, d])
            for (r, row) in rows.enumerated() { shards.copy(all[row], values: lengths[r] * d, to: out.mutableData + r * t * d) }
            return (.features(out), Mask.padding(lengths: lengths, maxLength: t))
        }
    }
}
