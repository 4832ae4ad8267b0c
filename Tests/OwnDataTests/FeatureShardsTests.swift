import Foundation
@testable import OwnData
import Tensors
import XCTest

/// Feature shards are computed once and then mapped; rows come back across shard boundaries; a truncated or
/// damaged shard, or an index written for another layout, is computed again (only what is affected).
final class FeatureShardsTests: XCTestCase {
    private var root: URL!
    private let keys = (0..<10).map { "item-\($0)" }

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("shards-\(UUID().uuidString)")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    /// Item i's features: 6 values i·10 + position, [2, 3] unless told.
    private static func features(_ i: Int, shape: [Int] = [2, 3]) -> Tensor { Tensor(shape: shape, (0..<6).map { Float(i * 10 + $0) }) }

    private func open(shape: [Int] = [2, 3], computed: inout [Int]) throws -> FeatureShards {
        var asked: [Int] = []
        let (shards, count) = try FeatureShards.open(encoder: "test-v1", root: root, keys: keys, rowShape: shape, shardRows: 4, batchSize: 3,
                                                    compute: { rows in asked += rows; return rows.map { Self.features($0, shape: shape) } })
        XCTAssertEqual(count, asked.count)
        computed = asked
        return shards
    }

    private func shardURL(_ n: Int) -> URL {
        FeatureShards.directory(encoder: "test-v1", root: root, keys: keys).appendingPathComponent(String(format: "shard-%05d.f32", n))
    }

    func testComputedOnceThenReadAcrossShardBoundaries() throws {
        var computed: [Int] = []
        let first = try open(computed: &computed)
        XCTAssertEqual(computed, Array(0..<10))
        let again = try open(computed: &computed)
        XCTAssertEqual(computed, [], "every shard read back")
        for shards in [first, again] {
            let rows = shards.rows([9, 0, 4, 3, 4])
            XCTAssertEqual(rows.shape, [5, 2, 3])
            XCTAssertEqual(rows.scalars, [9, 0, 4, 3, 4].flatMap { Self.features($0).scalars })
        }
        XCTAssertEqual(try Data(contentsOf: shardURL(2)).count, 2 * 6 * 4, "the last shard holds the last 2 items")
    }

    func testATruncatedOrDamagedShardIsComputedAgainAndNothingElse() throws {
        var computed: [Int] = []
        _ = try open(computed: &computed)
        let truncated = try Data(contentsOf: shardURL(1))
        try truncated.prefix(truncated.count - 5).write(to: shardURL(1))
        var shards = try open(computed: &computed)
        XCTAssertEqual(computed, [4, 5, 6, 7])
        XCTAssertEqual(shards.rows([5]).scalars, Self.features(5).scalars)

        var flipped = try Data(contentsOf: shardURL(0))
        flipped[13] ^= 0x10
        try flipped.write(to: shardURL(0))
        shards = try open(computed: &computed)
        XCTAssertEqual(computed, [0, 1, 2, 3], "the checksum caught a flipped bit")
        XCTAssertEqual(shards.rows([2]).scalars, Self.features(2).scalars)
    }

    func testAnIndexOfAnotherLayoutIsNotUsed() throws {
        var computed: [Int] = []
        _ = try open(computed: &computed)
        let shards = try open(shape: [6], computed: &computed)
        XCTAssertEqual(computed, Array(0..<10), "features of another shape are computed again")
        XCTAssertEqual(shards.rows([7]).shape, [1, 6])
    }
}
