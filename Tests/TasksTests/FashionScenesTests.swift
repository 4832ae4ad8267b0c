import Encoders
import Foundation
import Imaging
import NN
@testable import Tasks
import Tensors
import Training
import XCTest

/// Fashion scenes: captions and hard negatives, rendering, the real Fashion-MNIST files.
final class FashionScenesTests: XCTestCase {
    /// A fake Fashion-MNIST: 20 images of 2×2 pixels, image i of class i % 10 filled with value i.
    let tiny = FashionMNIST(images: IDX(shape: [20, 2, 2], bytes: (0..<20).flatMap { [UInt8](repeating: UInt8($0), count: 4) }),
                            labels: (0..<20).map { $0 % 10 })

    func testCaptionsAreTrueAndHardNegativesFalse() {
        let scenes = FashionScene.generate(count: 500, from: tiny, seed: 3)
        var pairings = Set<[Int]>()
        for s in scenes {
            XCTAssertEqual(Set(s.labels).count, 4)
            XCTAssertEqual(s.items.map { tiny.labels[$0] }, s.labels)
            XCTAssertEqual(Set(s.caption.articles), Set(s.labels), "the caption names all four articles")
            XCTAssertTrue(s.caption.holds(in: s.labels), s.caption.text)
            XCTAssertFalse(s.swappedPositions.holds(in: s.labels), s.swappedPositions.text)
            XCTAssertEqual(Set(s.swappedPositions.articles), Set(s.labels), "positions swapped, same articles")
            XCTAssertFalse(s.swappedItems.holds(in: s.labels), s.swappedItems.text)
            XCTAssertEqual(Set(s.swappedItems.articles).subtracting(s.labels).count, 1, "one article replaced")
            pairings.insert(s.caption.clauses.map { s.labels.firstIndex(of: $0.first)! + s.labels.firstIndex(of: $0.second)! }.sorted())
        }
        XCTAssertEqual(pairings.count, 3, "rows, columns and diagonals are all used: \(pairings)")
        XCTAssertEqual(FashionScene.generate(count: 5, from: tiny, seed: 3), Array(scenes.prefix(5)), "seeded")
        let caption = FashionSceneCaption(clauses: [.init(first: 7, relation: .above, second: 8), .init(first: 9, relation: .leftOf, second: 3)])
        XCTAssertEqual(caption.text, "a sneaker above a bag, an ankle boot to the left of a dress")
        XCTAssertTrue(caption.holds(in: [7, 3, 9, 8]) && caption.holds(in: [9, 7, 8, 3]))
        XCTAssertFalse(caption.holds(in: [8, 9, 7, 3]))
        XCTAssertFalse(caption.holds(in: [7, 9, 8, 2]), "a named article missing")
    }

    func testSceneImagePlacesArticlesInTheGrid() {
        let scene = FashionScene.generate(count: 1, from: tiny, seed: 1)[0]
        let image = scene.image(tiny)
        XCTAssertEqual(image.width, 4)
        for (cell, item) in scene.items.enumerated() {
            XCTAssertEqual(image[cell % 2 * 2 + 1, cell / 2 * 2], RGB(UInt8(item), UInt8(item), UInt8(item)))
        }
    }

    func testLoadsDebianFashionMNIST() throws {
        let test = try FashionMNIST.load(.test)
        XCTAssertEqual(test.count, 10000)
        XCTAssertEqual(test.height, 28)
        XCTAssertEqual(test.indicesByClass().map(\.count), [Int](repeating: 1000, count: 10))
        XCTAssertThrowsError(try FashionMNIST.load(.test, directory: URL(fileURLWithPath: "/nonexistent"))) {
            XCTAssertTrue("\($0)".contains("dataset-fashion-mnist"), "\($0)")
        }
    }
}
