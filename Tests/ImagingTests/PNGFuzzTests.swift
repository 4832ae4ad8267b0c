import Foundation
import Imaging
import TestSupport
import XCTest

/// Seeded mutation fuzzing of the PNG decoder (a short run; `make fuzz` runs tools/fuzz/targets/png.swift),
/// and the writer's errors for a parent that is a file.
final class PNGFuzzTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func testMutatedFilesDecodeOrThrowImageError() {
        let corpus = corpusFiles(fixtures, suffix: ".png")
        XCTAssertEqual(corpus.count, 5)
        let (_, rejected) = fuzzParser("png", corpus: corpus, iterations: 3000, isTyped: { $0 is ImageError }) {
            _ = try PNG.decode($0)
        }
        XCTAssertGreaterThan(rejected, 1000)
    }

    /// A PNG chunk: length, type, data and CRC-32 of type and data.
    private func chunk(_ type: String, _ data: [UInt8]) -> Data {
        let body = Array(type.utf8) + data
        let crc = body.reduce(into: UInt32(0xFFFF_FFFF)) { c, byte in
            c ^= UInt32(byte)
            for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        } ^ 0xFFFF_FFFF
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        return Data(be(UInt32(data.count)) + body + be(crc))
    }

    /// A PNG claiming `width`×`height` 8-bit RGB whose image data is one empty IDAT chunk.
    private func header(width: UInt32, height: UInt32) -> Data {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + chunk("IHDR", be(width) + be(height) + [8, 2, 0, 0, 0])
            + chunk("IDAT", []) + chunk("IEND", [])
    }

    /// 20000×20000 passes libpng's own limits and would be a 1.2 GB buffer: refused from the file size first.
    func testHeaderClaimingAHugeImageIsRefusedBeforeAllocating() throws {
        XCTAssertThrowsError(try PNG.decode(header(width: 20_000, height: 20_000))) { error in
            XCTAssertEqual(error as? ImageError, .invalidPNG(path: "<memory>", reason: "header claims 20000×20000 pixels, more than 57 bytes of PNG can hold"))
        }
        XCTAssertThrowsError(try PNG.decode(header(width: 0x7FFF_FFFF, height: 0x7FFF_FFFF))) { error in
            guard case .invalidPNG? = error as? ImageError else { return XCTFail("\(error)") }
        }
    }

    func testWritingUnderAFileIsATypedError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("PNGFuzzTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        let target = file.appendingPathComponent("x.png")
        XCTAssertThrowsError(try PNG.write(RGBImage(width: 2, height: 2), to: target)) { error in
            XCTAssertEqual(error as? ImageError, .unwritable(path: target.path, reason: "Not a directory (\(file.path) is a file)"))
            XCTAssertEqual("\(error)", "cannot write image \(target.path): Not a directory (\(file.path) is a file); check that the directory exists, is writable and has free space")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["not-a-directory"])
    }
}
