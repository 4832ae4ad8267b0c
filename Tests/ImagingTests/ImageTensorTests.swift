import Imaging
import Tensors
import TestSupport
import XCTest

/// Image → tensor conversion, bilinear resize (against PyTorch) and per-channel normalisation.
final class ImageTensorTests: XCTestCase {
    func testTensorIsPlanarRGBInZeroToOne() {
        var image = RGBImage(width: 3, height: 2, fill: RGB(0, 51, 255))
        image[2, 1] = RGB(255, 0, 102)
        let t = image.tensor()
        XCTAssertEqual(t.shape, [3, 2, 3])
        XCTAssertEqual(t.scalars, [0, 0, 0, 0, 0, 1, 0.2, 0.2, 0.2, 0.2, 0.2, 0, 1, 1, 1, 1, 1, 0.4].map(Float.init))
        let batch = RGBImage.batchTensor([image, RGBImage(width: 3, height: 2)])
        XCTAssertEqual(batch.shape, [2, 3, 2, 3])
        XCTAssertEqual(Array(batch.scalars[0..<18]), t.scalars)
        XCTAssertTrue(batch.scalars[18...].allSatisfy { $0 == 1 })
    }

    func testBilinearResizeMatchesPyTorch() throws {
        let fx = try Fixture.load("resize")
        assertClose(resizeBilinear(fx.tensor("x"), height: 8, width: 11), fx.tensor("up"), "upsample")
        assertClose(resizeBilinear(fx.tensor("x"), height: 3, width: 4), fx.tensor("down"), "downsample")
        let single = Tensor(shape: [3, 5, 7], Array(fx.tensor("x").scalars[0..<105]))
        assertClose(resizeBilinear(single, height: 3, width: 4),
                    Tensor(shape: [3, 3, 4], Array(fx.tensor("down").scalars[0..<36])), "[C, H, W]")
    }

    func testResizedImageKeepsFlatColoursAndSize() {
        var image = RGBImage(width: 10, height: 6, fill: RGB(10, 200, 30))
        image.fillRect(x: 0, y: 0, width: 5, height: 6, color: RGB(250, 0, 0))
        XCTAssertEqual(image.resized(width: 10, height: 6), image, "same size is the identity")
        let big = image.resized(width: 20, height: 12)
        XCTAssertEqual(big.width, 20)
        XCTAssertEqual(big.height, 12)
        XCTAssertEqual(big[0, 5], RGB(250, 0, 0))
        XCTAssertEqual(big[19, 11], RGB(10, 200, 30))
    }

    func testNormalizeChannels() {
        let x = Tensor(shape: [2, 2, 1, 2], [0, 1, 0.5, 0.25, 1, 1, 0, 0])
        let y = normalizeChannels(x, mean: [0.5, 0.25], std: [0.5, 0.25])
        XCTAssertEqual(y.scalars, [-1, 1, 1, 0, 1, 1, -1, -1])
    }
}
