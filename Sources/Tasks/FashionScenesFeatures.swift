import Encoders
import Foundation
import Imaging
import Tensors

/// Frozen features of the fashion-scenes splits: EfficientNet-Lite0 region tokens of each scene (224 px,
/// 7×7 = 49 regions × 1280) and MiniLM token features of its three captions (true, positions swapped, items
/// swapped). Computed once and cached as safetensors under `<cache>/fashion-scenes/<key>/`, where the key
/// hashes everything the features depend on (scene counts, seed, feature version).
public struct FashionScenesFeatures {
    /// One split's scenes and features.
    public struct Split {
        public let scenes: [FashionScene]
        /// [scenes, 49, 1280].
        public let regions: Tensor
        /// [3·scenes, T, 384]: caption k of scene i at row 3i + k; zero past each caption's length.
        public let text: Tensor
        /// Tokens of each caption row ([CLS] and [SEP] included).
        public let lengths: [Int]

        public var count: Int { scenes.count }
    }

    public let train: Split
    public let test: Split
    /// The directory the features were read from or written to.
    public let directory: URL

    /// Bumped whenever the scenes, captions or feature extraction change, so old caches are not reused.
    static let version = "fashion-scenes-v1"

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
           let train = split(trainSet, cached, "train"), let test = split(testSet, cached, "test") {
            log("features: cached in \(dir.path)")
            return FashionScenesFeatures(train: train, test: test, directory: dir)
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
            let texts = scenes.flatMap { $0.captions.map(\.text) }
            let captions = TextEmbedding.embed(texts, encoder: textEncoder, batchSize: 64)
            log(String(format: "  %@: %d scenes and %d captions in %.0f s", name, scenes.count, texts.count, Date().timeIntervalSince(start)))
            tensors["\(name)_regions"] = images["regions"]
            tensors["\(name)_text"] = captions["token_features"]
            tensors["\(name)_lengths"] = captions["lengths"]
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Safetensors.write(tensors, to: file, metadata: ["version": version])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try encoder.encode(["train": trainSet, "test": testSet]).write(to: scenesFile, options: .atomic)
        return FashionScenesFeatures(train: split(trainSet, tensors, "train")!, test: split(testSet, tensors, "test")!, directory: dir)
    }

    /// A split from the cached tensors, or nil when they do not fit the scenes.
    static func split(_ scenes: [FashionScene], _ tensors: [String: Tensor], _ name: String) -> Split? {
        guard let regions = tensors["\(name)_regions"], let text = tensors["\(name)_text"], let lengths = tensors["\(name)_lengths"],
              regions.shape == [scenes.count, 49, EfficientNetLite0.featureDim], text.rank == 3, text.shape[0] == 3 * scenes.count,
              lengths.shape == [3 * scenes.count] else { return nil }
        return Split(scenes: scenes, regions: regions, text: text, lengths: lengths.scalars.map { Int($0) })
    }

    public init(train: Split, test: Split, directory: URL) {
        (self.train, self.test, self.directory) = (train, test, directory)
    }
}
