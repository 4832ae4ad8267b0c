import Foundation
import Imaging
import Tensors
import TestSupport
import XCTest

/// PNG reading (every colour type, fixtures hand-written by tools/fixtures/fx_png.py), writing and errors.
final class PNGTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("PNGTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testRoundTripIsExactAndLeavesNoTemporaryFile() throws {
        var g = RandomGenerator(seed: 3)
        let image = RGBImage(width: 13, height: 7, pixels: (0..<13 * 7 * 3).map { _ in UInt8(g.int(below: 256)) })
        let url = directory.appendingPathComponent("noise.png")
        try PNG.write(image, to: url)
        XCTAssertEqual(try PNG.read(url), image)
        try PNG.write(RGBImage(width: 2, height: 2, fill: RGB(1, 2, 3)), to: url)
        XCTAssertEqual(try PNG.read(url), RGBImage(width: 2, height: 2, fill: RGB(1, 2, 3)), "overwritten in place")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["noise.png"])
    }

    func testReadsEveryColourTypeAsEightBitRGB() throws {
        let expected = try Fixture.load("png_expected")
        for (name, key) in [("palette4", "palette4"), ("rgb16", "rgb16"), ("gray8", "gray8"),
                            ("grayalpha8", "grayalpha8"), ("rgba8", "rgba8")] {
            let image = try PNG.read(fixtures.appendingPathComponent("\(name).png"))
            let want = expected.tensor(key)
            XCTAssertEqual([image.height, image.width, 3], want.shape, name)
            XCTAssertEqual(image.pixels.map(Float.init), want.scalars, name)
        }
    }

    func testTruncatedAndForeignFilesThrowTypedErrors() throws {
        let good = try Data(contentsOf: fixtures.appendingPathComponent("rgb16.png"))
        for (label, bytes) in [("truncated", good.prefix(good.count - 20)), ("header only", good.prefix(12)),
                               ("empty", Data()), ("not a PNG", Data("GIF89a not a png at all".utf8))] {
            let url = directory.appendingPathComponent("\(label).png")
            try bytes.write(to: url)
            XCTAssertThrowsError(try PNG.read(url), label) { error in
                guard case let ImageError.invalidPNG(path, reason)? = error as? ImageError else {
                    return XCTFail("\(label): expected invalidPNG, got \(error)")
                }
                XCTAssertEqual(path, url.path)
                XCTAssertFalse(reason.isEmpty)
                XCTAssertTrue("\(error)".contains("regenerate"), "says how to fix: \(error)")
            }
        }
        var corrupted = good
        corrupted[corrupted.count - 30] ^= 0xFF  // inside IDAT: CRC mismatch
        XCTAssertThrowsError(try PNG.decode(corrupted)) { XCTAssertTrue($0 is ImageError) }
    }

    func testMissingFileAndUnwritableDirectoryThrow() {
        let missing = directory.appendingPathComponent("missing.png")
        XCTAssertThrowsError(try PNG.read(missing)) { error in
            guard case .unreadable(missing.path, _)? = error as? ImageError else { return XCTFail("\(error)") }
        }
        let nowhere = directory.appendingPathComponent("no/such/dir/x.png")
        XCTAssertThrowsError(try PNG.write(RGBImage(width: 1, height: 1), to: nowhere)) { error in
            guard case .unwritable(nowhere.path, _)? = error as? ImageError else { return XCTFail("\(error)") }
        }
    }
}
