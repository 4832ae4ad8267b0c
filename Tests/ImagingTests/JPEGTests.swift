import Foundation
@testable import Imaging
import Tensors
import TestSupport
import XCTest

/// JPEG encoding and decoding (baseline, progressive, grayscale; made in-test by the encoder), their errors, and
/// `ImageFile`'s choice of format by signature.
final class JPEGTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("JPEGTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// 37×23 (not a multiple of the 8×8 block): smooth gradients with a solid block on top.
    static func sample() -> RGBImage {
        var image = RGBImage(width: 37, height: 23)
        for y in 0..<23 {
            for x in 0..<37 { image[x, y] = RGB(UInt8(x * 6), UInt8(y * 10), UInt8(255 - (x + y) * 4)) }
        }
        for y in 5..<15 {
            for x in 10..<22 { image[x, y] = RGB(200, 40, 60) }
        }
        return image
    }

    private func meanAbsoluteError(_ a: RGBImage, _ b: RGBImage) -> Double {
        zip(a.pixels, b.pixels).reduce(0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(a.pixels.count)
    }

    func testRoundTripAtQuality95IsClose() throws {
        let image = Self.sample()
        let url = directory.appendingPathComponent("sample.jpg")
        try JPEG.write(image, to: url, quality: 95)
        let decoded = try JPEG.read(url)
        XCTAssertEqual([decoded.width, decoded.height], [37, 23])
        let error = meanAbsoluteError(image, decoded)
        XCTAssertLessThan(error, 2, "measured 1.58 (libjpeg-turbo 2.1.5), mostly at the solid block's edges")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["sample.jpg"], "no temporary file left")
        XCTAssertGreaterThan(meanAbsoluteError(image, try JPEG.decode(JPEG.encode(image, quality: 10))), error,
                             "a lower quality loses more")
    }

    func testProgressiveDecodesLikeBaseline() throws {
        let image = Self.sample()
        let progressive = try JPEG.encode(samples: image.pixels, width: 37, height: 23, gray: false, progressive: true,
                                          quality: 95, path: "<memory>")
        XCTAssertNotNil(progressive.firstRange(of: Data([0xFF, 0xC2])), "has a progressive frame header (SOF2)")
        XCTAssertLessThan(meanAbsoluteError(image, try JPEG.decode(progressive)), 2)
    }

    func testGrayscaleDecodesToEqualChannels() throws {
        let luma = (0..<24 * 16).map { UInt8(($0 % 24) * 10) }
        let data = try JPEG.encode(samples: luma, width: 24, height: 16, gray: true, progressive: false, quality: 95,
                                   path: "<memory>")
        let image = try JPEG.decode(data)
        XCTAssertEqual([image.width, image.height], [24, 16])
        for i in 0..<24 * 16 {
            let (r, g, b) = (image.pixels[3 * i], image.pixels[3 * i + 1], image.pixels[3 * i + 2])
            XCTAssertTrue(r == g && g == b, "pixel \(i): \(r), \(g), \(b)")
            XCTAssertLessThanOrEqual(abs(Int(r) - Int(luma[i])), 8, "pixel \(i)")
        }
    }

    func testTruncatedFileIsRefusedNamingThePath() throws {
        let data = try JPEG.encode(Self.sample(), quality: 95)
        let url = directory.appendingPathComponent("half.jpg")
        try data.prefix(data.count / 2).write(to: url)
        XCTAssertThrowsError(try JPEG.read(url)) { error in
            XCTAssertEqual(error as? ImageError, .invalidJPEG(path: url.path, reason: "Premature end of JPEG file"))
            XCTAssertTrue("\(error)".hasPrefix("\(url.path) is not a valid JPEG image"), "\(error)")
            XCTAssertTrue("\(error)".contains("regenerate or re-export it as JPEG"), "says how to fix: \(error)")
        }
    }

    func testForeignAndRandomBytesThrowInvalidJPEG() {
        var g = RandomGenerator(seed: 5)
        let noise = Data([0xFF, 0xD8, 0xFF] + (0..<500).map { _ in UInt8(g.int(below: 256)) })
        for (label, bytes) in [("random after FF D8 FF", noise), ("empty", Data()), ("marker only", Data([0xFF, 0xD8, 0xFF])),
                               ("not a JPEG", Data("GIF89a not a jpeg".utf8))] {
            XCTAssertThrowsError(try JPEG.decode(bytes, path: label), label) { error in
                guard case let ImageError.invalidJPEG(path, reason)? = error as? ImageError else {
                    return XCTFail("\(label): expected invalidJPEG, got \(error)")
                }
                XCTAssertEqual(path, label)
                XCTAssertFalse(reason.isEmpty, label)
            }
        }
    }

    /// A valid JPEG whose frame header (SOF0) claims `width`×`height`.
    private func claiming(width: UInt16, height: UInt16) throws -> Data {
        var data = try JPEG.encode(RGBImage(width: 8, height: 8), quality: 50)
        let sof = try XCTUnwrap(data.firstRange(of: Data([0xFF, 0xC0]))).lowerBound
        // marker (2 bytes), length (2), precision (1), then height and width, big-endian.
        data.replaceSubrange(sof + 5..<sof + 9, with: [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF)])
        return data
    }

    func testHeaderClaimingAHugeImageIsRefusedBeforeAllocating() throws {
        let large = try claiming(width: 30_000, height: 30_000)
        XCTAssertThrowsError(try JPEG.decode(large)) { error in
            XCTAssertEqual(error as? ImageError, .invalidJPEG(path: "<memory>", reason: "header claims 30000×30000 pixels, more than \(large.count) bytes of JPEG can hold"))
        }
        XCTAssertThrowsError(try JPEG.decode(claiming(width: 65_000, height: 8))) { error in
            XCTAssertEqual(error as? ImageError, .invalidJPEG(path: "<memory>", reason: "unsupported size 65000×8 (at least 1×1, at most 32768×32768)"))
        }
    }

    func testWritingUnderAFileIsATypedError() throws {
        let file = directory.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        let target = file.appendingPathComponent("x.jpg")
        XCTAssertThrowsError(try JPEG.write(RGBImage(width: 2, height: 2), to: target)) { error in
            XCTAssertEqual(error as? ImageError, .unwritable(path: target.path, reason: "Not a directory (\(file.path) is a file)"))
        }
        XCTAssertThrowsError(try JPEG.read(directory.appendingPathComponent("missing.jpg"))) { error in
            guard case .unreadable? = error as? ImageError else { return XCTFail("\(error)") }
        }
    }

    func testImageFilePicksTheFormatBySignatureNotExtension() throws {
        let image = Self.sample()
        let pngNamedJPG = directory.appendingPathComponent("really-a-png.jpg")
        try PNG.write(image, to: pngNamedJPG)
        XCTAssertEqual(try ImageFile.read(pngNamedJPG), image)
        let jpeg = try JPEG.encode(image)
        let jpegNamedPNG = directory.appendingPathComponent("really-a-jpeg.png")
        try jpeg.write(to: jpegNamedPNG)
        XCTAssertEqual(try ImageFile.read(jpegNamedPNG), try JPEG.decode(jpeg))
        XCTAssertThrowsError(try ImageFile.decode(jpeg.prefix(jpeg.count / 2), path: "half")) { error in
            guard case .invalidJPEG("half", _)? = error as? ImageError else { return XCTFail("\(error)") }
        }
    }

    func testImageFileRefusesOtherFormats() throws {
        let text = directory.appendingPathComponent("notes.png")
        try Data("hello world\n".utf8).write(to: text)
        XCTAssertThrowsError(try ImageFile.read(text)) { error in
            XCTAssertEqual(error as? ImageError, .unsupportedFormat(path: text.path, found: "68 65 6C 6C 6F 20 77 6F"))
            XCTAssertEqual("\(error)", "\(text.path) is neither a PNG nor a JPEG image (starts with bytes 68 65 6C 6C 6F 20 77 6F); convert it to PNG or JPEG")
        }
        XCTAssertThrowsError(try ImageFile.decode(Data([0xFF, 0xD8]), path: "short")) { error in
            XCTAssertEqual(error as? ImageError, .unsupportedFormat(path: "short", found: "FF D8"))
        }
        XCTAssertThrowsError(try ImageFile.decode(Data(), path: "empty")) { error in
            XCTAssertEqual("\(error)", "empty is neither a PNG nor a JPEG image (the file is empty); convert it to PNG or JPEG")
        }
        let missing = directory.appendingPathComponent("missing.jpg")
        XCTAssertThrowsError(try ImageFile.read(missing)) { error in
            guard case .unreadable(missing.path, _)? = error as? ImageError else { return XCTFail("\(error)") }
        }
    }

    func testASideOverTheCallersLimitIsRefusedFromTheHeader() throws {
        let image = RGBImage(width: 40, height: 12)
        for (name, data) in [("PNG", try PNG.encode(image)), ("JPEG", try JPEG.encode(image, quality: 90))] {
            XCTAssertEqual(try ImageFile.decode(data, path: name, maxSide: 40).width, 40)
            XCTAssertThrowsError(try ImageFile.decode(data, path: name, maxSide: 39)) { error in
                XCTAssertEqual(error as? ImageError, .tooLarge(path: name, width: 40, height: 12, maxSide: 39))
                XCTAssertEqual("\(error)", "\(name) is 40×12 pixels; at most 39 pixels a side are accepted: downscale it first")
            }
        }
    }
}
