import Encoders
import Foundation
import Imaging
import Tensors

/// Frozen features of the fashion-scenes splits: EfficientNet-Lite0 region tokens of each scene (224 px,
/// 7×7 = 49 regions × 1280) and MiniLM token features of every caption clause, from which each scene's three
/// captions (true, positions swapped, items swapped) — and fresh training captions — are put together.
/// Computed once and cached as safetensors under `<cache>/fashion-scenes/<key>/`, where the key hashes
/// everything the features depend on (scene counts, seed, feature version).
public struct FashionScenesFeatures {
    /// One split's scenes and features.
    public struct Split {
        public let scenes: [FashionScene]
        /// [scenes, 49, 1280].
        public let regions: Tensor
        /// The clause features its captions are put together from.
        public let clauses: FashionClauseFeatures

        public var count: Int { scenes.count }

        /// The split of `scenes` with their region tokens [scenes, 49, 1280], captions from `clauses`.
        public init(scenes: [FashionScene], regions: Tensor, clauses: FashionClauseFeatures) {
            precondition(regions.shape == [scenes.count, FashionScenesModel.regions, EfficientNetLite0.featureDim],
                         "FashionScenesFeatures.Split: regions \(regions.shape) do not fit \(scenes.count) scenes")
            (self.scenes, self.regions, self.clauses) = (scenes, regions, clauses)
        }

        /// Caption row `row`: caption k (true, positions swapped, items swapped) of scene i at row 3i + k.
        public func caption(_ row: Int) -> FashionSceneCaption { scenes[row / 3].captions[row % 3] }

        /// Token features [rows, T, 384] of caption rows `rows` (T the longest), and their lengths (each
        /// clause's [CLS] and [SEP] included). Put together on demand: training draws fresh captions, so the
        /// stored ones are only read for evaluation.
        public func text(_ rows: [Int]) -> (features: Tensor, lengths: [Int]) { clauses.text(rows.map(caption)) }

        /// All caption rows' token features [3·scenes, T, 384].
        public var text: Tensor { text(Array(0..<(3 * count))).features }

        /// Tokens of each caption row.
        public var lengths: [Int] { (0..<(3 * count)).map { clauses.length(caption($0)) } }
    }

    public let train: Split
    public let test: Split
    public let clauses: FashionClauseFeatures
    /// The directory the features were read from or written to.
    public let directory: URL

    /// Bumped whenever the scenes, captions or feature extraction change, so old caches are not reused.
    static let version = "fashion-scenes-v2"

    /// Cache key: FNV-1a of the settings that determine the features.
    public static func key(trainScenes: Int, testScenes: Int, seed: UInt64) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in "\(version)|\(trainScenes)|\(testScenes)|\(seed)".utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return String(h, radix: 16)
    }

    /// The features for these settings: read from the cache when present, else generated (scenes from
    /// Fashion-MNIST's train and test splits, features from the pretrained encoders) and written there.
    /// `log` gets progress lines.
    public static func load(
        trainScenes: Int, testScenes: Int, seed: UInt64, cacheRoot: URL = ModelCache.root(),
        fashionMNIST: URL = FashionMNIST.debianDirectory, batchSize: Int = 16, log: (String) -> Void = { _ in }
    ) throws -> FashionScenesFeatures {
        let dir = cacheRoot.appendingPathComponent("fashion-scenes/\(key(trainScenes: trainScenes, testScenes: testScenes, seed: seed))")
        let file = dir.appendingPathComponent("features.safetensors"), scenesFile = dir.appendingPathComponent("scenes.json")
        let trainData = try FashionMNIST.load(.train, directory: fashionMNIST)
        let testData = try FashionMNIST.load(.test, directory: fashionMNIST)
        let trainSet = FashionScene.generate(count: trainScenes, from: trainData, seed: seed)
        let testSet = FashionScene.generate(count: testScenes, from: testData, seed: seed &+ 1)
        if FileManager.default.fileExists(atPath: file.path),
           let cached = try? Safetensors.read(file),
           let stored = try? JSONDecoder().decode([String: [FashionScene]].self, from: Data(contentsOf: scenesFile)),
           stored["train"] == trainSet, stored["test"] == testSet,
           let clauseFeatures = cached["clause_features"], let clauseLengths = cached["clause_lengths"],
           let clauses = FashionClauseFeatures(features: clauseFeatures, lengths: clauseLengths.scalars.map { Int($0) }),
           let train = regions(trainSet, cached, "train"), let test = regions(testSet, cached, "test") {
            log("features: cached in \(dir.path)")
            return FashionScenesFeatures(train: Split(scenes: trainSet, regions: train, clauses: clauses),
                                         test: Split(scenes: testSet, regions: test, clauses: clauses),
                                         clauses: clauses, directory: dir)
        }
        log("features: computing for \(trainScenes) train and \(testScenes) test scenes (cache \(dir.path))")
        let imageEncoder = try EfficientNetLite0.pretrained().folded()
        let textEncoder = try SentenceEncoder.miniLM()
        var tensors: [String: Tensor] = [:]
        for (name, scenes, data) in [("train", trainSet, trainData), ("test", testSet, testData)] {
            let start = Date()
            var last = Date.distantPast
            let images = ImageEmbedding.embed(
                count: scenes.count, image: { scenes[$0].image(data) }, encoder: imageEncoder, batchSize: batchSize
            ) { done, total in
                guard done == total || Date().timeIntervalSince(last) > 5 else { return }
                last = Date()
                log(String(format: "  %@ images: %d/%d (%.1f scenes/s)", name, done, total, Double(done) / Date().timeIntervalSince(start)))
            }
            tensors["\(name)_regions"] = images["regions"]
        }
        let clauses = FashionClauseFeatures(encoder: textEncoder)
        log("  \(FashionClauseFeatures.count) caption clauses encoded")
        tensors["clause_features"] = clauses.features
        tensors["clause_lengths"] = Tensor(shape: [FashionClauseFeatures.count], clauses.lengths.map(Float.init))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Safetensors.write(tensors, to: file, metadata: ["version": version])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try encoder.encode(["train": trainSet, "test": testSet]).write(to: scenesFile, options: .atomic)
        return FashionScenesFeatures(train: Split(scenes: trainSet, regions: tensors["train_regions"]!, clauses: clauses),
                                     test: Split(scenes: testSet, regions: tensors["test_regions"]!, clauses: clauses),
                                     clauses: clauses, directory: dir)
    }

    /// A split's cached region tokens, or nil when they do not fit its scenes.
    static func regions(_ scenes: [FashionScene], _ tensors: [String: Tensor], _ name: String) -> Tensor? {
        guard let regions = tensors["\(name)_regions"],
              regions.shape == [scenes.count, FashionScenesModel.regions, EfficientNetLite0.featureDim] else { return nil }
        return regions
    }

    public init(train: Split, test: Split, clauses: FashionClauseFeatures, directory: URL) {
        (self.train, self.test, self.clauses, self.directory) = (train, test, clauses, directory)
    }
}
