import Foundation
import OwnData
import Tensors
import XCTest

/// The feature cache: computed once, read back afterwards, recomputed when the content changes or the stored
/// file is damaged.
final class FeatureCacheTests: XCTestCase {
    func testComputesOnlyMissingAndRecomputesChangedOrDamagedContent() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cache = FeatureCache(encoder: "test-v1", root: root)
        var contents = ["one", "two", "one", "three"].map { Data($0.utf8) }
        var computedRows: [Int] = []
        func features() throws -> [Tensor] {
            try cache.features(keys: contents.map(FeatureCache.key), shape: [2], batchSize: 2, compute: { rows in
                computedRows += rows
                return rows.map { Tensor(shape: [2], [Float(contents[$0].count), Float($0)]) }
            }).features
        }
        let first = try features()
        XCTAssertEqual(computedRows, [0, 1, 3], "duplicates are computed once")
        XCTAssertEqual(first[2].scalars, first[0].scalars)
        computedRows = []
        XCTAssertEqual(try features().map(\.scalars), first.map(\.scalars))
        XCTAssertEqual(computedRows, [], "everything comes from the cache")

        contents[1] = Data("two, edited".utf8)
        XCTAssertEqual(try features()[1].scalars, [11, 1])
        XCTAssertEqual(computedRows, [1], "a changed file gets a new key")

        computedRows = []
        try Data("garbage".utf8).write(to: cache.url(key: FeatureCache.key(contents[3])))
        XCTAssertEqual(try features()[3].scalars, [5, 3])
        XCTAssertEqual(computedRows, [3], "a damaged file is recomputed")
        XCTAssertNotEqual(FeatureCache.key(Data("ab".utf8)), FeatureCache.key(Data("ba".utf8)))
    }
}
