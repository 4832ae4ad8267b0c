import Foundation
@testable import Imaging
import TestSupport
import XCTest

/// Seeded mutation fuzzing of the JPEG decoder, from small baseline, progressive and grayscale JPEGs made by the
/// encoder: every mutated file decodes or throws an `ImageError`, never crashes.
final class JPEGFuzzTests: XCTestCase {
    func testMutatedFilesDecodeOrThrowImageError() throws {
        var image = RGBImage(width: 19, height: 11)
        for y in 0..<11 {
            for x in 0..<19 { image[x, y] = RGB(UInt8(x * 13), UInt8(y * 23), UInt8((x * y) % 256)) }
        }
        let luma = (0..<16 * 9).map { UInt8($0 % 251) }
        let corpus = [
            try JPEG.encode(image, quality: 75),
            try JPEG.encode(samples: image.pixels, width: 19, height: 11, gray: false, progressive: true, quality: 60, path: "<memory>"),
            try JPEG.encode(samples: luma, width: 16, height: 9, gray: true, progressive: false, quality: 90, path: "<memory>"),
        ]
        let (_, rejected) = fuzzParser("jpeg", corpus: corpus, iterations: 3000, isTyped: { $0 is ImageError }) {
            _ = try JPEG.decode($0)
        }
        XCTAssertGreaterThan(rejected, 1000)
    }
}
