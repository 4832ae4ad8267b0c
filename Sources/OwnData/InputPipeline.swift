import Dispatch
import Encoders
import Foundation
import Imaging
import Tensors

/// Turns manifests (and single images and texts, for prediction) into what a model of `config` reads: images
/// decoded and resized, or run once through the frozen EfficientNet with the features cached on disk; texts
/// tokenised, or run once through the frozen MiniLM, cached likewise. Pretrained encoders load on first use.
public final class InputPipeline {
    public let config: ImageTextModelConfig
    /// Where `FeatureCache` keeps frozen features (default: the model cache root).
    public let cacheRoot: URL
    /// Progress and summary lines.
    public var log: (String) -> Void
    private var efficientNet: FoldedEfficientNetLite0?
    private var sentenceEncoder: SentenceEncoder?
    private var wordPieces: WordPieceTokenizer?
    /// `minilm-clauses`: token features of every clause read so far.
    private var clauseFeatures: [String: Tensor] = [:]
    private lazy var vocabulary = WordVocabulary(words: config.vocabulary)

    /// Frozen-feature cache ids: bump the version when the features' meaning changes.
    static let imageFeaturesID = "efficientnet-lite0-regions-v1"
    static func textFeaturesID(maxTokens: Int) -> String { "all-minilm-l6-v2-tokens-v1-max\(maxTokens)" }

    public init(config: ImageTextModelConfig, cacheRoot: URL = ModelCache.root(), log: @escaping (String) -> Void = { _ in }) {
        (self.config, self.cacheRoot, self.log) = (config, cacheRoot, log)
    }

    /// The MiniLM sentence encoder, loaded once.
    public func miniLM() throws -> SentenceEncoder {
        if let sentenceEncoder { return sentenceEncoder }
        let encoder = try SentenceEncoder.miniLM()
        sentenceEncoder = encoder
        return encoder
    }

    /// MiniLM's WordPiece tokenizer cut to `maxTokens`, loaded once.
    private func wordPieceTokenizer() throws -> WordPieceTokenizer {
        if let wordPieces { return wordPieces }
        let full = try miniLM().tokenizer
        let tokenizer = try full.truncating(to: min(config.maxTokens, full.maxLength))
        wordPieces = tokenizer
        return tokenizer
    }

    /// The tokenizer of the text side: MiniLM's WordPiece cut to `maxTokens`, or the learned word vocabulary.
    func tokenize(_ text: String) throws -> (ids: [Int], truncated: Bool) {
        if config.textEncoder == .learned {
            guard let vocabulary else { throw ImageTextError.invalidConfig("the learned text encoder's vocabulary must start with [PAD], [UNK]") }
            let ids = vocabulary.encode(text)
            return (Array(ids.prefix(config.maxTokens)), ids.count > config.maxTokens)
        }
        let tokenizer = try wordPieceTokenizer()
        let encoding = tokenizer.encode(text)
        let scalars = Array(text.unicodeScalars)
        let lastEnd = encoding.offsets.dropLast().last?.upperBound ?? 0
        let truncated = encoding.ids.count == tokenizer.maxLength
            && scalars[min(lastEnd, scalars.count)...].contains { !$0.properties.isWhitespace }
        return (encoding.ids, truncated)
    }

    /// Reads `manifest`'s images and texts. A bad image throws `ManifestError.badImage` naming its first line,
    /// or with `skipBad` drops that image's examples and counts them. Labels map to `config.labels` (-1 when
    /// absent or unseen). Frozen features come from (and go to) the cache. Images held in memory
    /// (`ManifestEntry.pixels`) are used as they are, keyed in the cache by their pixels.
    public func prepare(_ manifest: Manifest, skipBad: Bool = false) throws -> ImageTextData {
        var imageIndex: [URL: Int] = [:], urls: [URL] = [], firstLine: [Int] = [], firstPath: [String] = []
        var inMemory: [RGBImage?] = []
        for e in manifest.entries where imageIndex[e.imageURL] == nil {
            imageIndex[e.imageURL] = urls.count
            urls.append(e.imageURL)
            firstLine.append(e.line)
            firstPath.append(e.image)
            inMemory.append(e.pixels)
        }
        // One pass over the images: each file is read once for its cache key and decoded to check it (a bad one
        // names its manifest line), but not kept — batches decode their images again when they need them. For
        // frozen features the check waits: when the data set's feature shards are all written, nothing is decoded.
        let frozen = config.imageEncoder == .efficientNetLite0 && !config.finetuneEncoders
        var checked = Self.concurrentMap(Array(urls.indices)) { i -> Result<String, any Error> in
            if let image = inMemory[i] { return .success(Self.cacheKey(image)) }
            return Result {
                let data = try ImageFile.contents(of: urls[i])
                if !frozen { _ = try ImageFile.decode(data, path: urls[i].path) }
                return FeatureCache.key(data)
            }
        }
        if frozen && !FeatureShards.written(encoder: Self.imageFeaturesID, root: cacheRoot, keys: checked.compactMap { try? $0.get() },
                                            rowShape: Self.regionShape) {
            checked = Self.concurrentMap(Array(urls.indices)) { i in
                checked[i].flatMap { key in inMemory[i] != nil ? .success(key) : Result { _ = try ImageFile.read(urls[i]); return key } }
            }
        }
        let keys = checked.map { (try? $0.get()) ?? "" }
        let decode: (Int) throws -> RGBImage = { i in try inMemory[i] ?? ImageFile.read(urls[i]) }
        var failure: [Int: String] = [:]
        for (i, c) in checked.enumerated() { if case let .failure(error) = c { failure[i] = "\(error)" } }
        if let (i, reason) = failure.min(by: { $0.key < $1.key }), !skipBad {
            throw ManifestError.badImage(path: manifest.url.path, line: firstLine[i], image: firstPath[i], reason: reason)
        }
        // Keep the examples whose images are good, renumbering images in first-use order.
        var keptImage: [Int: Int] = [:], keptURLs: [Int] = []
        var entries: [ManifestEntry] = [], owners: [Int] = []
        for e in manifest.entries {
            let i = imageIndex[e.imageURL]!
            guard failure[i] == nil else { continue }
            if keptImage[i] == nil { keptImage[i] = keptURLs.count; keptURLs.append(i) }
            entries.append(e)
            owners.append(keptImage[i]!)
        }
        let skipped = manifest.entries.count - entries.count
        if skipped > 0 { log("skipped \(skipped) examples of \(failure.count) unreadable images in \(manifest.url.lastPathComponent)") }
        guard !entries.isEmpty else { throw ManifestError.nothingLeft(path: manifest.url.path, skipped: skipped) }

        let images: ImageTextData.Images
        if frozen {
            images = .featureShards(try imageFeatures(keys: keptURLs.map { keys[$0] }, decode: { try decode(keptURLs[$0]) }))
        } else {
            let side = config.imageEncoder == .smallCNN ? config.imageSize : EfficientNetLite0.imageSize
            let store = ImageStore(items: keptURLs.map { i in inMemory[i].map { .pixels(Self.resized($0, side: side)) } ?? .file(urls[i]) }, side: side)
            images = config.imageEncoder == .smallCNN ? .cnnPixels(store) : .imageNetPixels(store)
        }
        let (texts, truncated) = try textInputs(entries.map(\.text), sharded: true)
        if truncated > 0 {
            log("truncated \(truncated) of \(entries.count) texts in \(manifest.url.lastPathComponent) to the text encoder's \(config.maxTokens) tokens")
        }
        let labelIndex = Dictionary(uniqueKeysWithValues: config.labels.enumerated().map { ($1, $0) })
        return ImageTextData(entries: entries, images: images, texts: texts, imageOfExample: owners,
                             labels: entries.map { $0.label.flatMap { labelIndex[$0] } ?? -1 }, skipped: skipped, truncated: truncated)
    }

    /// A batch of `images` and the texts about each (`texts[i]` about `images[i]`, at least one each), computed
    /// directly (no cache), for prediction.
    public func batch(images: [RGBImage], texts: [[String]]) throws -> ImageTextBatch {
        precondition(images.count == texts.count && texts.allSatisfy { !$0.isEmpty },
                     "InputPipeline.batch: \(images.count) images and \(texts.map(\.count)) texts (at least one per image)")
        let pictures: ImageTextData.Images
        switch (config.imageEncoder, config.finetuneEncoders) {
        case (.smallCNN, _): pictures = .cnnPixels(ImageStore(images: images, side: config.imageSize))
        case (.efficientNetLite0, true): pictures = .imageNetPixels(ImageStore(images: images, side: EfficientNetLite0.imageSize))
        case (.efficientNetLite0, false): pictures = .features(try efficientNetRegions(images))
        }
        let all = texts.flatMap { $0 }
        let entries = all.enumerated().map { ManifestEntry(line: $0 + 1, image: "", imageURL: URL(fileURLWithPath: "/"), text: $1) }
        let owners = texts.indices.flatMap { i in [Int](repeating: i, count: texts[i].count) }
        let data = ImageTextData(entries: entries, images: pictures, texts: try textInputs(all, cached: false).texts,
                                 imageOfExample: owners, labels: all.map { _ in -1 })
        return try data.batch(imageIndices: Array(images.indices))
    }

    /// The small CNN's input: `image` resized to side × side (unchanged when it already is).
    static func resized(_ image: RGBImage, side: Int) -> RGBImage {
        image.width == side && image.height == side ? image : image.resized(width: side, height: side)
    }

    /// Text features or token ids of `texts` not in any manifest (e.g. captions a data source makes up for a
    /// training step), padded to the longest, with their padding mask. Features come from the cache; with
    /// `minilm-clauses` every clause seen before is held in memory, so a new caption of known clauses costs a copy.
    public func textBatch(_ texts: [String]) throws -> (text: ImageTextBatch.Text, mask: Mask) {
        ImageTextData.textBatch(try self.texts(texts), rows: Array(texts.indices))
    }

    /// `texts` as the model's text side reads them (token ids, or frozen features from the cache — or with
    /// `cached` false computed directly, for texts seen once such as a server's queries), unpadded.
    public func texts(_ texts: [String], cached: Bool = true) throws -> ImageTextData.Texts { try textInputs(texts, cached: cached).texts }

    /// The comma-separated clauses of `text`, trimmed (the text itself when it has none).
    static func clauses(_ text: String) -> [String] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        return parts.isEmpty ? [text] : parts
    }

    /// Token ids or frozen features of `texts`, and how many were truncated. Frozen features come from the
    /// per-text cache (`cached`), or with `sharded` (a manifest's texts) from the data set's feature shards.
    private func textInputs(_ texts: [String], cached: Bool = true, sharded: Bool = false) throws -> (texts: ImageTextData.Texts, truncated: Int) {
        if config.textEncoder == .minilmClauses {
            let split = texts.map(Self.clauses)
            let missing = Array(Set(split.joined()).subtracting(clauseFeatures.keys)).sorted()
            let tokenized = try missing.map(tokenize)
            for (clause, features) in zip(missing, try tokenFeatures(missing, cached: cached)) { clauseFeatures[clause] = features }
            let features = split.map { parts in parts.count == 1 ? clauseFeatures[parts[0]]! : concat(parts.map { clauseFeatures[$0]! }, axis: 0) }
            return (.features(features), tokenized.filter(\.truncated).count)
        }
        let tokenized = try texts.map(tokenize)
        let truncated = tokenized.filter(\.truncated).count
        if config.textEncoderInModel {
            let padID = config.textEncoder == .learned ? WordVocabulary.paddingID : try miniLM().tokenizer.padID
            return (.tokens(tokenized.map(\.ids), padID: padID), truncated)
        }
        if sharded { return (try tokenFeatureShards(texts, lengths: tokenized.map(\.ids.count)), truncated) }
        return (.features(try tokenFeatures(texts, cached: cached)), truncated)
    }

    /// Frozen MiniLM token features of a data set's texts (of `lengths` tokens each) in shards read as batches
    /// need them: one row per distinct text, padded to the longest; a first pass computes what is missing.
    private func tokenFeatureShards(_ texts: [String], lengths: [Int]) throws -> ImageTextData.Texts {
        var rowOf: [String: Int] = [:], distinct: [String] = [], distinctLengths: [Int] = []
        let rows = texts.indices.map { i in
            if let row = rowOf[texts[i]] { return row }
            rowOf[texts[i]] = distinct.count
            distinct.append(texts[i])
            distinctLengths.append(lengths[i])
            return distinct.count - 1
        }
        let encoder = try miniLM(), tokenizer = try wordPieceTokenizer()
        let width = max(distinctLengths.max() ?? 1, 1), shape = [width, encoder.dimension], id = Self.textFeaturesID(maxTokens: config.maxTokens)
        let start = Date()
        let (shards, computed) = try FeatureShards.open(
            encoder: id, root: cacheRoot, keys: distinct.map { FeatureCache.key(Data($0.utf8)) }, rowShape: shape, batchSize: 32,
            compute: { rows in
                let batch = tokenizer.encodeBatch(rows.map { distinct[$0] })
                let out = encoder.encode(batch).tokenFeatures, (t, d) = (out.shape[1], out.shape[2])
                return rows.indices.map { r in
                    precondition(batch.lengths[r] == distinctLengths[rows[r]], "InputPipeline: \(batch.lengths[r]) tokens encoded, \(distinctLengths[rows[r]]) counted")
                    let row = Tensor(zeros: shape)
                    row.mutableData.update(from: out.data + r * t * d, count: batch.lengths[r] * d)
                    return row
                }
            },
            progress: progressLog("text features", start: start))
        if computed > 0 {
            log(String(format: "text features: %d computed with MiniLM (%.0f texts/s), %d from the cache", computed,
                       Double(computed) / max(Date().timeIntervalSince(start), 1e-9), distinct.count - computed))
        }
        return .featureShards(shards, rows: rows, lengths: distinctLengths)
    }

    /// A first pass's progress line every 5 s and at the end: done/total, rate and time left.
    private func progressLog(_ what: String, start: Date) -> (Int, Int) -> Void {
        var last = Date()
        return { done, total in
            guard done == total || Date().timeIntervalSince(last) > 5 else { return }
            last = Date()
            let rate = Double(done) / Date().timeIntervalSince(start)
            self.log("  \(what): " + String(format: "%d/%d (%.1f/s, %.0f s left)", done, total, rate, Double(total - done) / rate))
        }
    }

    /// Frozen MiniLM token features [length, 384] of each text: from the cache (computing and storing what is
    /// missing), or computed directly.
    private func tokenFeatures(_ texts: [String], cached: Bool) throws -> [Tensor] {
        guard !texts.isEmpty else { return [] }
        let encoder = try miniLM()
        let tokenizer = try wordPieceTokenizer()
        let compute: ([Int]) throws -> [Tensor] = { rows in
            let batch = tokenizer.encodeBatch(rows.map { texts[$0] })
            let out = encoder.encode(batch).tokenFeatures
            return rows.indices.map { r in
                reshape(slice(slice(out, axis: 0, r..<(r + 1)), axis: 1, 0..<batch.lengths[r]), [batch.lengths[r], out.shape[2]])
            }
        }
        guard cached else { return try compute(Array(texts.indices)) }
        let cache = FeatureCache(encoder: Self.textFeaturesID(maxTokens: config.maxTokens), root: cacheRoot)
        let start = Date()
        let (features, computed) = try cache.features(keys: texts.map { FeatureCache.key(Data($0.utf8)) }, batchSize: 32, compute: compute)
        if computed > 0 {
            log(String(format: "text features: %d computed with MiniLM (%.0f texts/s), %d from the cache", computed,
                       Double(computed) / max(Date().timeIntervalSince(start), 1e-9), Set(texts).count - computed))
        }
        return features
    }

    /// The cache key of an image held in memory: its size and pixels.
    static func cacheKey(_ image: RGBImage) -> String {
        FeatureCache.key(Data("rgb \(image.width)x\(image.height)\n".utf8) + Data(image.pixels))
    }

    /// The shape of one image's EfficientNet region features: [49, 1280].
    static var regionShape: [Int] {
        let side = (EfficientNetLite0.imageSize + 31) / 32
        return [side * side, EfficientNetLite0.featureDim]
    }

    /// EfficientNet region features [49, 1280] of the images with content keys `keys`, in shards read from disk
    /// as batches need them (`FeatureShards`); a first pass computes what is missing, reusing per-image features
    /// in the cache (`decode(i)` gives image i, called only for an image computed now).
    private func imageFeatures(keys: [String], decode: (Int) throws -> RGBImage) throws -> FeatureShards {
        let perImage = FeatureCache(encoder: Self.imageFeaturesID, root: cacheRoot)
        let start = Date()
        let shape = Self.regionShape
        let (shards, computed) = try FeatureShards.open(
            encoder: Self.imageFeaturesID, root: cacheRoot, keys: keys, rowShape: shape,
            compute: { rows in
                var features = rows.map { perImage.load(key: keys[$0], shape: shape) }
                let missing = features.indices.filter { features[$0] == nil }
                if !missing.isEmpty {
                    for (n, t) in zip(missing, try self.efficientNetRegions(try missing.map { try decode(rows[$0]) })) { features[n] = t }
                }
                return features.map { $0! }
            },
            progress: progressLog("image features", start: start))
        let seconds = Date().timeIntervalSince(start)
        log(computed == 0 ? String(format: "image features: all %d from the cache (%.1f s)", keys.count, seconds)
            : String(format: "image features: %d computed with EfficientNet-Lite0 in %.1f s (%.1f images/s), %d from the cache",
                     computed, seconds, Double(computed) / max(seconds, 1e-9), keys.count - computed))
        return shards
    }

    /// Region features [49, 1280] of each image from the frozen, BatchNorm-folded EfficientNet-Lite0.
    private func efficientNetRegions(_ images: [RGBImage]) throws -> [Tensor] {
        if efficientNet == nil { efficientNet = try EfficientNetLite0.pretrained().folded() }
        let regions = ImageEmbedding.embed(count: images.count, image: { images[$0] }, encoder: efficientNet!, batchSize: 16)["regions"]!
        let (r, d) = (regions.shape[1], regions.shape[2])
        return images.indices.map { i in
            let one = Tensor(uninitialized: [r, d])
            one.mutableData.update(from: regions.data + i * r * d, count: r * d)
            return one
        }
    }

    /// `transform` over `items` on every core, results in order.
    static func concurrentMap<T, U>(_ items: [T], _ transform: (T) -> U) -> [U] {
        var results = [U?](repeating: nil, count: items.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: items.count) { i in
            let value = transform(items[i])
            lock.lock()
            results[i] = value
            lock.unlock()
        }
        return results.map { $0! }
    }
}
