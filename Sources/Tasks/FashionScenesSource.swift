import CrossModal
import Foundation
import OwnData
import Tensors

/// Fashion scenes as a data source of the one training path: each split's scenes as a manifest held in memory
/// (the scene image, its true caption), the models the reproduction compares, and what is specific to the task:
/// a training objective that draws a fresh caption and fresh hard negatives for every scene at every step (text
/// features put together from cached MiniLM clause features, `--text-encoder minilm-clauses`), and the figures it
/// is judged by — hard-negative matching and retrieval that counts any caption true of a scene as a hit.
public struct FashionScenesSource {
    public let train: [FashionScene], test: [FashionScene]
    public let trainManifest: Manifest, testManifest: Manifest

    /// Scenes from Fashion-MNIST's train and test splits under `seed` (the test split under `seed + 1`): the same
    /// scenes `fashion-scenes export` writes for the same counts and seed.
    public init(trainScenes: Int, testScenes: Int, seed: UInt64, fashionMNIST: URL = FashionMNIST.debianDirectory) throws {
        let trainData = try FashionMNIST.load(.train, directory: fashionMNIST)
        let testData = try FashionMNIST.load(.test, directory: fashionMNIST)
        train = FashionScene.generate(count: trainScenes, from: trainData, seed: seed)
        test = FashionScene.generate(count: testScenes, from: testData, seed: seed &+ 1)
        trainManifest = Self.manifest(train, data: trainData, split: .train, seed: seed)
        testManifest = Self.manifest(test, data: testData, split: .test, seed: seed &+ 1)
    }

    /// One entry per scene: the 56×56 scene image in memory and its true caption.
    static func manifest(_ scenes: [FashionScene], data: FashionMNIST, split: FashionMNIST.Split, seed: UInt64) -> Manifest {
        let name = "fashion-scenes \(split.rawValue) split: \(scenes.count) scenes generated with seed \(seed)"
        let folder = URL(fileURLWithPath: "/generated/fashion-scenes-\(seed)/\(split.rawValue)")
        let entries = scenes.enumerated().map { i, scene in
            let image = "images/\(split.rawValue)-\(String(format: "%06d", i)).png"
            return ManifestEntry(line: i + 1, image: image, imageURL: folder.appendingPathComponent(image), text: scene.caption.text,
                                 pixels: scene.image(data))
        }
        return Manifest(url: folder.appendingPathComponent("manifest.jsonl"), entries: entries, name: name,
                        key: FeatureCache.key(Data("\(name) v3".utf8)))
    }

    /// The fusions the reproduction compares.
    public static let fusions: [ImageTextModelConfig.Fusion] = [.dualEncoder, .concat, .coAttention]

    /// The model for `fusion` over frozen EfficientNet-Lite0 regions and MiniLM clause features, `width` wide: a
    /// one-hidden-layer classifier for concat (and grid-MLP), one co-attention layer of 4 heads for co-attention
    /// (4 heads for cross-attention too).
    public static func model(_ fusion: ImageTextModelConfig.Fusion, width: Int = 64) -> ImageTextModelConfig {
        var config = ImageTextModelConfig(task: .match, fusion: fusion, imageEncoder: .efficientNetLite0, textEncoder: .minilmClauses)
        config.width = width
        switch fusion {
        case .concat, .gridMLP: config.mlpLayers = 1
        case .coAttention: (config.layers, config.heads) = (1, 4)
        case .crossAttention: config.heads = 4
        case .dualEncoder: break
        }
        return config
    }

    /// The training loss on `batchSize` distinct training scenes, each with a fresh caption and fresh hard
    /// negatives. The matching models score each scene with four captions — its true caption, its two hard
    /// negatives and another scene's true caption — and learn to rank the true one first (softmax cross-entropy
    /// over the four scores); the dual encoder is trained contrastively, image→text over the batch's true
    /// captions plus all their hard negatives, text→image over the batch's images.
    public func objective(batchSize: Int) -> ImageTextRun.Objective {
        let scenes = train
        return { model, data, pipeline, generator in
            let b = min(batchSize, data.imageCount)
            var rows: [Int] = []
            while rows.count < b {
                let r = generator.int(below: data.imageCount)
                if !rows.contains(r) { rows.append(r) }
            }
            let fresh = rows.map { FashionSceneCaption.random(for: scenes[$0].labels, using: &generator) }
            func fused(_ captions: [FashionSceneCaption], imageOfText: [Int]) throws -> FusionBatch {
                let (text, mask) = try pipeline.textBatch(captions.map(\.text))
                return try model.fusionBatch(ImageTextBatch(images: data.pixels(rows), text: text, textMask: mask, imageOfText: imageOfText))
            }
            if let dual = model.fusion as? DualEncoder {
                let captions = fresh.map(\.caption) + fresh.map(\.swappedPositions) + fresh.map(\.swappedItems)
                let batch = try fused(captions, imageOfText: captions.indices.map { $0 % b })
                let v = ImageTextLoss.pooled(dual, visual: slice(batch.visual, axis: 0, 0..<b), mask: nil)
                let t = ImageTextLoss.pooled(dual, text: batch.text, mask: batch.textPaddingMask)
                let logits = mul(matmul(v, t, transposeB: true), dual.scale)
                let targets = Array(0..<b)
                let textToImage = transpose(slice(logits, axis: 1, 0..<b), 0, 1)
                return mul(add(crossEntropy(logits, targets: targets), crossEntropy(textToImage, targets: targets)), Tensor(0.5))
            }
            let captions = fresh.indices.flatMap { i in
                [fresh[i].caption, fresh[i].swappedPositions, fresh[i].swappedItems, fresh[(i + 1) % b].caption]
            }
            let scores = reshape(try model.scores(try fused(captions, imageOfText: (0..<b).flatMap { [Int](repeating: $0, count: 4) })), [b, 4])
            return crossEntropy(scores, targets: [Int](repeating: 0, count: b))
        }
    }

    /// The test figures: how often the true caption outscores the same caption with two articles' positions
    /// swapped (`swapped_positions`) or an article replaced (`swapped_items`; chance 50% for both), on the first
    /// `curveScenes` test scenes during training and on all of them at the end, where retrieval over every test
    /// scene and true caption is added (`i2t_r1` … `t2i_r10`; a caption true of a scene counts as a hit).
    public func evaluation(curveScenes: Int = 300) -> ImageTextRun.Evaluation {
        let scenes = test
        return { model, data, pipeline, final in
            let n = final ? scenes.count : min(curveScenes, scenes.count)
            let texts = try pipeline.texts(scenes.prefix(n).flatMap { $0.captions.map(\.text) })
            let scorer = try PairScorer(model: model, data: data, texts: texts)
            let rows = Array(0..<n)
            let positive = scorer.scores(images: rows, texts: rows.map { 3 * $0 })
            func beaten(_ kind: Int) -> Double {
                let negative = scorer.scores(images: rows, texts: rows.map { 3 * $0 + kind })
                return Double(rows.filter { positive[$0] > negative[$0] }.count) / Double(max(n, 1))
            }
            var metrics = ["swapped_positions": beaten(1), "swapped_items": beaten(2)]
            guard final else { return metrics }
            let matrix = scorer.scores(images: rows.flatMap { [Int](repeating: $0, count: n) }, texts: rows.flatMap { _ in rows.map { 3 * $0 } })
            let truth = scenes.map { scene in scenes.map { $0.caption.holds(in: scene.labels) } }
            let i2t = ImageTextEvaluation.recall(queries: n, candidates: n, score: { matrix[$0 * n + $1] }, correct: { truth[$0][$1] })
            let t2i = ImageTextEvaluation.recall(queries: n, candidates: n, score: { matrix[$1 * n + $0] }, correct: { truth[$1][$0] })
            for (k, cut) in ImageTextEvaluation.recallKs.enumerated() {
                (metrics["i2t_r\(cut)"], metrics["t2i_r\(cut)"]) = (i2t[k], t2i[k])
            }
            return metrics
        }
    }
}
