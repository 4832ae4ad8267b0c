import Encoders
import Foundation
import Tensors

/// Features of frozen encoders on disk, one safetensors file per input under
/// `<cache>/features/<encoder>/<2 hex digits>/<key>.safetensors`, keyed by a hash of the input's content (an
/// image file's bytes, a text's UTF-8) and its length. A changed file gets a new key, so stale features are
/// never read; a file that does not parse or has the wrong shape counts as missing and is recomputed.
public struct FeatureCache: Sendable {
    /// The directory of this encoder's features.
    public let directory: URL

    /// The cache of `encoder` (an id naming the encoder, its weights and its output, e.g.
    /// "efficientnet-lite0-regions-v1") under `root`.
    public init(encoder: String, root: URL = ModelCache.root()) {
        directory = root.appendingPathComponent("features/\(encoder)", isDirectory: true)
    }

    /// The key of `content`: 64-bit FNV-1a and byte count, in hex.
    public static func key(_ content: Data) -> String {
        var key = ContentKey()
        key.add(content)
        return key.value
    }

    /// `FeatureCache.key` of bytes that arrive in pieces (a file read a chunk at a time).
    public struct ContentKey {
        private var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        private var count = 0

        public init() {}

        public mutating func add(_ bytes: Data) {
            bytes.withUnsafeBytes { raw in
                for byte in raw.bindMemory(to: UInt8.self) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            }
            count += bytes.count
        }

        /// The key of everything added so far.
        public var value: String {
            let hex = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex + "-" + String(count, radix: 16)
        }
    }

    public func url(key: String) -> URL {
        directory.appendingPathComponent("\(key.prefix(2))/\(key).safetensors")
    }

    /// The stored features of `key` when present, readable and of `shape` (nil otherwise; nil `shape` accepts any).
    public func load(key: String, shape: [Int]? = nil) -> Tensor? {
        guard let t = (try? Safetensors.read(url(key: key)))?["features"], shape.map({ $0 == t.shape }) ?? true else { return nil }
        return t
    }

    /// Stores `features` under `key` (atomically).
    public func store(_ features: Tensor, key: String) throws {
        let file = url(key: key)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Safetensors.write(["features": features], to: file)
    }

    /// Features of every item: cached ones read, the rest computed by `compute` (given the positions of the
    /// missing items, in batches of `batchSize`, returning one tensor each) and stored. `progress(done, total)`
    /// follows the computed items. Returns the features and how many were computed.
    public func features(keys: [String], shape: [Int]? = nil, batchSize: Int = 16,
                         compute: ([Int]) throws -> [Tensor], progress: (Int, Int) -> Void = { _, _ in }) throws
        -> (features: [Tensor], computed: Int) {
        var firstOfKey: [String: Int] = [:], unique: [Int] = []
        for (i, key) in keys.enumerated() where firstOfKey[key] == nil {
            firstOfKey[key] = i
            unique.append(i)
        }
        var byKey: [String: Tensor] = [:], missing: [Int] = []
        for i in unique {
            if let t = load(key: keys[i], shape: shape) { byKey[keys[i]] = t } else { missing.append(i) }
        }
        for start in stride(from: 0, to: missing.count, by: batchSize) {
            let rows = Array(missing[start..<min(start + batchSize, missing.count)])
            let computed = try compute(rows)
            precondition(computed.count == rows.count, "FeatureCache.features: \(rows.count) items but \(computed.count) features")
            for (i, t) in zip(rows, computed) {
                try store(t, key: keys[i])
                byKey[keys[i]] = t
            }
            progress(start + rows.count, missing.count)
        }
        return (keys.map { byKey[$0]! }, missing.count)
    }
}
