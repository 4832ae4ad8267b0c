import Foundation
import Imaging
import TestSupport
import XCTest

/// Seeded mutation fuzzing of the IDX reader: raw IDX bytes and gzip'd files (the Debian package's form).
final class IDXFuzzTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func testMutatedIDXFilesParseOrThrowIDXError() throws {
        let gzipped = corpusFiles(fixtures, suffix: ".gz")
        XCTAssertEqual(gzipped.count, 3)
        let raw = try gzipped.map { try Gzip.decompress($0, path: "fixture") }
        let (_, rejectedRaw) = fuzzParser("idx", corpus: raw, iterations: 3000, isTyped: { $0 is IDXError }) {
            _ = try IDX.parse($0)
        }
        XCTAssertGreaterThan(rejectedRaw, 1000)
        let (_, rejectedGzip) = fuzzParser("idx.gz", corpus: gzipped, iterations: 1500, isTyped: { $0 is IDXError }) {
            _ = try IDX.parse(try Gzip.decompress($0, path: "mutated"))
        }
        XCTAssertGreaterThan(rejectedGzip, 500)
    }
}
