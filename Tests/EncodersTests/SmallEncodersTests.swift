import Encoders
import NN
import Tensors
import TestSupport
import XCTest

/// The Sort-of-CLEVR encoders: shapes, keys, coordinates, masks.
final class SmallEncodersTests: XCTestCase {
    func testSmallCNNGivesA5x5GridWithCoordinates() {
        Random.seed(0)
        let cnn = SmallCNN()
        var rng = RandomGenerator(seed: 1)
        let images = Tensor.uniform([2, 3, 75, 75], low: 0, high: 1, using: &rng)
        let regions = cnn(images)
        XCTAssertEqual(regions.shape, [2, 25, 51])
        XCTAssertEqual(Array(cnn.namedParameters().map(\.key).prefix(4)), ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"])
        XCTAssertTrue(cnn.namedBuffers().map(\.key).contains("layers.1.running_mean"))
        // Region 6 is row 1, column 1 of the grid: (x, y) = (−0.5, −0.5) × the coordinate scale 5, and
        // (x² + y²) / 5 = 2.5.
        XCTAssertEqual(regions.data[6 * 51 + 48], -2.5)
        XCTAssertEqual(regions.data[6 * 51 + 49], -2.5)
        XCTAssertEqual(regions.data[6 * 51 + 50], 2.5)
        XCTAssertEqual(regions.data[24 * 51 + 48], 5)
        XCTAssertEqual(regions.data[24 * 51 + 50], 10)
        // Channels 24..<48 of region (row 1, column 2) are the first block's maximum over its cell: rows and
        // columns 7..<15 of the 38×38 map (windows of 8 with padding 1).
        var first = images
        for layer in cnn.layers.layers.prefix(3) { first = layer(first) }
        for channel in [0, 23] {
            let cell = (7..<15).flatMap { y in (15..<23).map { x in first.data[(channel * 38 + y) * 38 + x] } }
            XCTAssertEqual(regions.data[7 * 51 + 24 + channel], cell.max()!, "channel \(channel)")
        }
    }

    func testQuestionEncoderIgnoresPaddingTokens() throws {
        Random.seed(0)
        let encoder = QuestionEncoder(vocabularySize: 10, maxLength: 6, width: 8, heads: 2)
        encoder.eval()
        let mask = Mask.padding(lengths: [3, 5], maxLength: 6)
        let a = try encoder([1, 2, 3, 0, 0, 0, 4, 5, 6, 7, 8, 0], mask: mask)
        let b = try encoder([1, 2, 3, 9, 9, 9, 4, 5, 6, 7, 8, 9], mask: mask)
        XCTAssertEqual(a.shape, [2, 6, 8])
        for (i, masked) in mask.values.enumerated() where !masked {
            for j in 0..<8 { XCTAssertEqual(a.data[i * 8 + j], b.data[i * 8 + j], accuracy: 1e-6) }
        }
    }
}
