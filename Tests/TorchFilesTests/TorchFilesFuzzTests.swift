import Foundation
import Tensors
import TestSupport
import TorchFiles
import XCTest

/// Seeded mutation fuzzing of the PyTorch checkpoint reader, zip and legacy formats (a short run; `make fuzz`
/// runs tools/fuzz/targets/torch.swift), and the zip offsets libFuzzer found.
final class TorchFilesFuzzTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func testMutatedCheckpointsLoadOrThrowTorchFileError() {
        let corpus = ["state_legacy.pt", "nested_legacy.pt", "state_zip.pt", "nested_zip.pt", "state_zip_p4.pt"].compactMap {
            FileManager.default.contents(atPath: fixtures.appendingPathComponent($0).path)
        }
        XCTAssertEqual(corpus.count, 5)
        let (_, rejected) = fuzzParser("torch", corpus: corpus, iterations: 1500, isTyped: { $0 is TorchFileError }) {
            _ = try TorchCheckpoint.load(data: $0)
        }
        XCTAssertGreaterThan(rejected, 500)
    }

    /// A central directory offset past the end of the bytes trapped inside ZIPFoundation's in-memory archive
    /// (found by libFuzzer); zip bytes are now read through a file, where it is a short read: no crash, and
    /// whatever cannot be read is a typed error. A zip without its end record never reaches ZIPFoundation.
    func testCentralDirectoryOffsetPastTheEndIsATypedError() throws {
        var bytes = [UInt8](try Data(contentsOf: fixtures.appendingPathComponent("state_zip.pt")))
        let eocd = try XCTUnwrap((0...(bytes.count - 22)).reversed().first {
            bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 5 && bytes[$0 + 3] == 6
        })
        for (k, byte) in [UInt8(0x00), 0xFF, 0xFF, 0x7F].enumerated() { bytes[eocd + 16 + k] = byte }
        do {
            _ = try TorchCheckpoint.load(data: Data(bytes))
        } catch {
            XCTAssertTrue(error is TorchFileError, "\(error)")
        }
        XCTAssertThrowsError(try TorchCheckpoint.load(data: Data([0x50, 0x4B, 3, 4] + [UInt8](repeating: 0, count: 100)))) { error in
            XCTAssertEqual(error as? TorchFileError,
                           .badArchive(reason: "no end-of-central-directory record in the last 64 KiB (the zip file is truncated)"))
        }
    }

    /// A ZIP64 end record claiming a central directory at 2⁶³ made ZIPFoundation trap converting it to off_t
    /// (found by libFuzzer after 78,028 runs); the directory is now checked against the file size first.
    func testZip64OffsetsBeyondTheFileAreATypedError() throws {
        let bytes = [UInt8](try Data(contentsOf: fixtures.appendingPathComponent("state_zip.pt")))
        let end = try XCTUnwrap((0...(bytes.count - 22)).reversed().first {
            bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 5 && bytes[$0 + 3] == 6
        })
        func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        let record = le(0x0606_4B50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 4) + le(0, 4)
            + le(5, 8) + le(5, 8) + le(100, 8) + le(1 << 63, 8)
        let locator = le(0x0706_4B50, 4) + le(0, 4) + le(UInt64(end), 8) + le(1, 4)
        let patched = Array(bytes[..<end]) + record + locator + Array(bytes[end...])
        XCTAssertThrowsError(try TorchCheckpoint.load(data: Data(patched))) { error in
            XCTAssertEqual(error as? TorchFileError, .badArchive(
                reason: "the central directory offset 9223372036854775808 is outside the \(patched.count)-byte file"))
        }
    }
}
