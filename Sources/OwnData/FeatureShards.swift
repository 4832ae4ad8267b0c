import Encoders
import Foundation
import Tensors

/// A data set's frozen features in fixed-size shards that are read, not loaded: under
/// `<cache>/shards/<encoder>/<set key>/`, `index.json` (encoder id, row shape, rows per shard, the set's size and
/// each shard's checksum) and `shard-NNNNN.f32` (its rows' Float32 values, back to back), memory-mapped. A batch
/// copies its rows out of the mapped files, so memory holds the pages in use, not the data set. The set key
/// hashes the items' content keys in order, so the same data reuses its shards across runs; a shard that is
/// missing, truncated, damaged (checksum) or written for another encoder version is computed again.
public final class FeatureShards: @unchecked Sendable {
    /// What `index.json` holds.
    struct Index: Codable, Equatable {
        var encoder: String
        var rowShape: [Int]
        var shardRows: Int
        var count: Int
        /// Checksum of each shard written so far, in order (`Self.checksum`).
        var checksums: [String]

        enum CodingKeys: String, CodingKey {
            case encoder, rowShape = "row_shape", shardRows = "shard_rows", count, checksums
        }
    }

    /// The features of one item.
    public let rowShape: [Int]
    /// Items in the set.
    public let count: Int
    let directory: URL
    private let shardRows: Int, rowSize: Int
    private let shards: [Data]

    private init(directory: URL, rowShape: [Int], shardRows: Int, count: Int, shards: [Data]) {
        (self.directory, self.rowShape, self.shardRows, self.count, self.shards) = (directory, rowShape, shardRows, count, shards)
        rowSize = rowShape.reduce(1, *)
    }

    /// The directory of the set of items with content keys `keys` for `encoder` under `root`.
    static func directory(encoder: String, root: URL, keys: [String]) -> URL {
        var setKey = FeatureCache.ContentKey()
        for key in keys { setKey.add(Data((key + "\n").utf8)) }
        return root.appendingPathComponent("shards/\(encoder)/\(setKey.value)", isDirectory: true)
    }

    /// The shards of the items with content keys `keys`: those on disk and sound are mapped, the others computed
    /// by `compute` (the positions of items, in batches of `batchSize`, one tensor of `rowShape` each) and written
    /// atomically. `progress(done, total)` follows the computed items. Returns the shards and how many items
    /// were computed.
    public static func open(encoder: String, root: URL, keys: [String], rowShape: [Int], shardRows: Int = 1024, batchSize: Int = 16,
                            compute: ([Int]) throws -> [Tensor], progress: (Int, Int) -> Void = { _, _ in }) throws
        -> (shards: FeatureShards, computed: Int) {
        precondition(!keys.isEmpty && shardRows > 0, "FeatureShards.open: \(keys.count) items, \(shardRows) rows per shard")
        let directory = Self.directory(encoder: encoder, root: root, keys: keys)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let indexURL = directory.appendingPathComponent("index.json")
        var index = storedIndex(directory, encoder: encoder, rowShape: rowShape, shardRows: shardRows, count: keys.count)
        let rowSize = rowShape.reduce(1, *), shardCount = (keys.count + shardRows - 1) / shardRows
        func rows(_ shard: Int) -> Range<Int> { (shard * shardRows)..<min((shard + 1) * shardRows, keys.count) }
        func url(_ shard: Int) -> URL { directory.appendingPathComponent(String(format: "shard-%05d.f32", shard)) }
        var mapped: [Data] = [], missing: [Int] = []
        for shard in 0..<shardCount {
            let data = try? Data(contentsOf: url(shard), options: .alwaysMapped)
            if let data, shard < index.checksums.count, data.count == rows(shard).count * rowSize * 4, checksum(data) == index.checksums[shard] {
                mapped.append(data)
            } else {
                mapped.append(Data())
                missing.append(shard)
            }
        }
        let total = missing.map { rows($0).count }.reduce(0, +)
        var done = 0
        if index.checksums.count < shardCount { index.checksums += Array(repeating: "", count: shardCount - index.checksums.count) }
        for shard in missing {
            var bytes = Data(capacity: rows(shard).count * rowSize * 4)
            for start in stride(from: rows(shard).lowerBound, to: rows(shard).upperBound, by: batchSize) {
                let items = Array(start..<min(start + batchSize, rows(shard).upperBound))
                let features = try compute(items)
                precondition(features.count == items.count && features.allSatisfy { $0.shape == rowShape },
                             "FeatureShards.open: \(items.count) items of \(rowShape) but \(features.map(\.shape))")
                for t in features { bytes.append(UnsafeBufferPointer(start: t.data, count: rowSize)) }
                done += items.count
                progress(done, total)
            }
            try bytes.write(to: url(shard), options: .atomic)
            index.checksums[shard] = checksum(bytes)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(index).write(to: indexURL, options: .atomic)
            mapped[shard] = try Data(contentsOf: url(shard), options: .alwaysMapped)
        }
        return (FeatureShards(directory: directory, rowShape: rowShape, shardRows: shardRows, count: keys.count, shards: mapped), total)
    }

    /// Whether every shard of the items with content keys `keys` is on disk at its full size (the checksums are
    /// verified when `open` maps them): then no item needs its input again.
    public static func written(encoder: String, root: URL, keys: [String], rowShape: [Int], shardRows: Int = 1024) -> Bool {
        guard !keys.isEmpty else { return false }
        let directory = Self.directory(encoder: encoder, root: root, keys: keys), rowSize = rowShape.reduce(1, *)
        let index = storedIndex(directory, encoder: encoder, rowShape: rowShape, shardRows: shardRows, count: keys.count)
        let shardCount = (keys.count + shardRows - 1) / shardRows
        guard index.checksums.count == shardCount, !index.checksums.contains("") else { return false }
        return (0..<shardCount).allSatisfy { shard in
            let rows = min((shard + 1) * shardRows, keys.count) - shard * shardRows
            let size = (try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(String(format: "shard-%05d.f32", shard)).path))?[.size] as? Int
            return size == rows * rowSize * 4
        }
    }

    /// The index in `directory` when it describes this layout, or an empty one (another encoder version or
    /// layout: nothing of it is used).
    private static func storedIndex(_ directory: URL, encoder: String, rowShape: [Int], shardRows: Int, count: Int) -> Index {
        let fresh = Index(encoder: encoder, rowShape: rowShape, shardRows: shardRows, count: count, checksums: [])
        guard let index = try? JSONDecoder().decode(Index.self, from: Data(contentsOf: directory.appendingPathComponent("index.json"))),
              index.encoder == encoder, index.rowShape == rowShape, index.shardRows == shardRows, index.count == count else { return fresh }
        return index
    }

    /// The features of items `indices`, stacked: [indices.count] + rowShape.
    public func rows(_ indices: [Int]) -> Tensor {
        let out = Tensor(uninitialized: [indices.count] + rowShape)
        for (n, i) in indices.enumerated() { copy(i, values: rowSize, to: out.mutableData + n * rowSize) }
        return out
    }

    /// Copies the first `values` Float32 values of item `i`'s features to `destination`.
    public func copy(_ i: Int, values: Int, to destination: UnsafeMutablePointer<Float>) {
        precondition((0..<count).contains(i) && (0...rowSize).contains(values), "FeatureShards.copy: item \(i) of \(count), \(values) values of \(rowSize)")
        shards[i / shardRows].withUnsafeBytes { raw in
            destination.update(from: raw.bindMemory(to: Float.self).baseAddress! + (i % shardRows) * rowSize, count: values)
        }
    }

    /// A checksum of a shard's bytes (64-bit FNV-1a over 8-byte words, then the tail bytes): catches
    /// truncation and bit flips at memory speed.
    static func checksum(_ data: Data) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        data.withUnsafeBytes { raw in
            let words = raw.count / 8
            for k in 0..<words { h = (h ^ raw.loadUnaligned(fromByteOffset: k * 8, as: UInt64.self)) &* 0x0000_0100_0000_01B3 }
            for k in (words * 8)..<raw.count { h = (h ^ UInt64(raw[k])) &* 0x0000_0100_0000_01B3 }
        }
        return String(h, radix: 16) + "-" + String(data.count, radix: 16)
    }
}
