import Imaging
import XCTest

/// Rectangles, circles, lines and the bitmap font.
final class DrawingTests: XCTestCase {
    private let red = RGB(255, 0, 0)

    private func painted(_ image: RGBImage, _ color: RGB) -> Set<[Int]> {
        var set = Set<[Int]>()
        for y in 0..<image.height { for x in 0..<image.width where image[x, y] == color { set.insert([x, y]) } }
        return set
    }

    func testFillRectIsClipped() {
        var image = RGBImage(width: 10, height: 8)
        image.fillRect(x: 2, y: 3, width: 4, height: 2, color: red)
        XCTAssertEqual(painted(image, red), Set((2..<6).flatMap { x in (3..<5).map { [x, $0] } }))
        image.fillRect(x: -5, y: 6, width: 7, height: 10, color: .black)
        XCTAssertEqual(painted(image, .black), Set((0..<2).flatMap { x in (6..<8).map { [x, $0] } }))
        image.fillRect(x: 20, y: 20, width: 3, height: 3, color: .black)  // entirely outside: no-op
        XCTAssertEqual(painted(image, .black).count, 4)
    }

    func testFillCircleCoversPixelCentresInsideTheRadius() {
        var image = RGBImage(width: 30, height: 30)
        image.fillCircle(centerX: 15, centerY: 15, radius: 6, color: red)
        let pixels = painted(image, red)
        let inside = (0..<30).flatMap { x in (0..<30).map { [x, $0] } }.filter { p in
            let dx = Double(p[0]) + 0.5 - 15, dy = Double(p[1]) + 0.5 - 15
            return dx * dx + dy * dy <= 36
        }
        XCTAssertEqual(pixels, Set(inside))
        XCTAssertEqual(Double(pixels.count), Double.pi * 36, accuracy: 8)
        XCTAssertEqual(pixels, Set(pixels.map { [29 - $0[0], $0[1]] }), "symmetric about its centre")
        var clipped = RGBImage(width: 5, height: 5)
        clipped.fillCircle(centerX: 0, centerY: 0, radius: 3, color: red)
        XCTAssertTrue(painted(clipped, red).contains([0, 0]))
    }

    func testLinesAreBresenhamAndThick() {
        var image = RGBImage(width: 12, height: 12)
        image.drawLine(x0: 1, y0: 1, x1: 9, y1: 5, color: red)
        let pixels = painted(image, red)
        XCTAssertEqual(pixels.count, 9, "one pixel per column of the major axis")
        XCTAssertTrue(pixels.contains([1, 1]) && pixels.contains([9, 5]))
        var vertical = RGBImage(width: 12, height: 12)
        vertical.drawLine(x0: 5, y0: 10, x1: 5, y1: 2, color: red, thickness: 3)
        XCTAssertEqual(painted(vertical, red), Set((4...6).flatMap { x in (1...11).map { [x, $0] } }))
        var offImage = RGBImage(width: 4, height: 4)
        offImage.drawLine(x0: -3, y0: -3, x1: 10, y1: 10, color: red)
        XCTAssertEqual(painted(offImage, red), [[0, 0], [1, 1], [2, 2], [3, 3]], "clipped")
    }

    func testTextUsesTheFiveBySevenFont() {
        var image = RGBImage(width: 40, height: 16)
        image.drawText("1-a", x: 2, y: 3, color: .black)
        // "1": rows 0x04 0x0C 0x04 0x04 0x04 0x04 0x0E at x 2…6.
        let one = painted(image, .black).filter { $0[0] < 8 }
        XCTAssertEqual(one.count, 1 + 2 + 1 + 1 + 1 + 1 + 3)
        XCTAssertTrue(one.contains([4, 3]) && one.contains([3, 4]) && one.contains([3, 9]) && one.contains([5, 9]) && !one.contains([2, 9]))
        // "-" at x 8…12, row 3 of the glyph.
        XCTAssertEqual(painted(image, .black).filter { (8..<14).contains($0[0]) }, Set((8...12).map { [$0, 6] }))
        var upper = RGBImage(width: 40, height: 16), lower = RGBImage(width: 40, height: 16)
        upper.drawText("AZ%", x: 0, y: 0, color: .black)
        lower.drawText("az%", x: 0, y: 0, color: .black)
        XCTAssertEqual(upper, lower, "lower case is drawn as upper case")
        XCTAssertEqual(BitmapFont.width(of: "abc", scale: 2), 34)
        var scaled = RGBImage(width: 20, height: 20)
        scaled.drawText(".", x: 0, y: 0, color: .black, scale: 2)
        XCTAssertEqual(painted(scaled, .black).count, 4 * 4, "2×2 dot, each font pixel 2×2")
    }
}
