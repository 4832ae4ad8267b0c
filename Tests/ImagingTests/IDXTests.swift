import Foundation
import Imaging
import XCTest

/// IDX reading (plain and gzip'd; fixtures from tools/fixtures/fx_idx.py), the real Fashion-MNIST files from
/// Debian's `dataset-fashion-mnist` (a `make deps` package), and every refusal.
final class IDXTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Header bytes for `shape` with type code `type`.
    private func header(_ shape: [UInt32], type: UInt8 = 8) -> [UInt8] {
        [0, 0, type, UInt8(shape.count)] + shape.flatMap { s in (0..<4).map { UInt8(truncatingIfNeeded: s >> (24 - 8 * $0)) } }
    }

    func testParsesPlainAndGzipFiles() throws {
        let images = try IDX.read(fixtures.appendingPathComponent("idx_images.gz"))
        XCTAssertEqual(images.shape, [2, 3, 4])
        XCTAssertEqual(images.bytes, (0..<24).map(UInt8.init))
        let gray = try images.grayImages()
        XCTAssertEqual(gray.count, 2)
        XCTAssertEqual(gray[1].width, 4)
        XCTAssertEqual(gray[1].height, 3)
        XCTAssertEqual(gray[1][1, 2], RGB(21, 21, 21))
        XCTAssertEqual(try IDX.read(fixtures.appendingPathComponent("idx_labels.gz")).labels(), [9, 0, 3, 7, 1])
        XCTAssertEqual(try IDX.read(fixtures.appendingPathComponent("idx_two_members.gz")).labels(), [9, 0, 3, 7, 1])
        let plain = IDX(shape: [2], bytes: [4, 5])
        XCTAssertEqual(try IDX.parse(Data(header([2]) + [4, 5])), plain)
        XCTAssertThrowsError(try plain.grayImages()) { XCTAssertTrue("\($0)".contains("[count, height, width]"), "\($0)") }
    }

    func testReadsDebianFashionMNIST() throws {
        let dir = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
        let images = try IDX.read(dir.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        XCTAssertEqual(images.shape, [10000, 28, 28])
        let labels = try IDX.read(dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz")).labels()
        XCTAssertEqual(labels.count, 10000)
        XCTAssertEqual(Set(labels), Set(0..<10))
        XCTAssertEqual(labels.prefix(5), [9, 2, 1, 1, 6])  // ankle boot, pullover, trouser, trouser, shirt
    }

    func testRefusesMalformedFiles() throws {
        func refuses(_ bytes: [UInt8], _ expected: String, line: UInt = #line) {
            XCTAssertThrowsError(try IDX.parse(Data(bytes), path: "f.idx"), line: line) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)", line: line)
                XCTAssertTrue("\(error)".hasPrefix("f.idx") || "\(error)".contains("f.idx"), "\(error)", line: line)
            }
        }
        refuses([0, 0], "the 4-byte magic number")
        refuses([0x89, 0x50, 0x4E, 0x47, 0, 0], "expected the magic bytes 00 00 <type> <dimensions ≥ 1>, found 89 50 4e 47")
        refuses([0, 0, 8, 0], "magic bytes")
        refuses(header([2]).map { $0 == 8 ? 0x0D : $0 }, "type 0x0d is not supported")
        refuses(Array(header([3, 28, 28]).prefix(10)), "a header with 3 dimension sizes needs 16 bytes, the file has 10")
        refuses(header([3, 2]) + [1, 2, 3], "the values of shape [3, 2] needs 18 bytes, the file has 15")
        refuses(header([2]) + [1, 2, 3], "the header accounts for 10 bytes but the file has 11")
    }

    /// A header claiming terabytes (or more than Int.max) is refused from the sizes alone, before allocating.
    func testRefusesSizeClaimsPastTheEndBeforeAllocating() throws {
        for shape: [UInt32] in [[0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], [0xFFFF_FFFF], [60000, 0xFFFF, 0xFFFF]] {
            XCTAssertThrowsError(try IDX.parse(Data(header(shape) + [1, 2, 3]))) { error in
                guard case IDXError.truncated = error else { return XCTFail("\(error)") }
            }
        }
        XCTAssertThrowsError(try IDX.parse(Data(header([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF])))) {
            XCTAssertTrue("\($0)".contains("the values of shape [4294967295]… needs 4294967311 bytes, the file has 16"), "\($0)")
        }
    }

    func testRefusesBadGzip() throws {
        let good = try Data(contentsOf: fixtures.appendingPathComponent("idx_images.gz"))
        XCTAssertTrue(Gzip.isCompressed(good))
        XCTAssertEqual(try Gzip.decompress(good).count, 4 + 12 + 24)
        XCTAssertThrowsError(try Gzip.decompress(good.prefix(good.count - 6))) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
        var corrupted = good
        corrupted[good.count - 8] ^= 0xFF  // CRC-32 of the trailer
        XCTAssertThrowsError(try Gzip.decompress(corrupted)) { XCTAssertTrue("\($0)".contains("corrupted"), "\($0)") }
        XCTAssertThrowsError(try Gzip.decompress(good, limit: 10)) { XCTAssertTrue("\($0)".contains("more than 10 bytes"), "\($0)") }
        var trailing = good
        trailing.append(contentsOf: [1, 2, 3])
        XCTAssertThrowsError(try Gzip.decompress(trailing)) { XCTAssertTrue("\($0)".contains("invalid gzip"), "\($0)") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("IDXTests-\(UUID().uuidString).gz")
        defer { try? FileManager.default.removeItem(at: dir) }
        try good.prefix(20).write(to: dir)
        XCTAssertThrowsError(try IDX.read(dir)) { error in
            guard case IDXError.badGzip(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, dir.path)
        }
        XCTAssertThrowsError(try IDX.read(URL(fileURLWithPath: "/nonexistent/x.idx"))) {
            XCTAssertTrue("\($0)".contains("dataset-fashion-mnist"), "\($0)")
        }
    }
}
