import Imaging
import Tensors

/// One scene: four Fashion-MNIST articles of distinct classes in a 2×2 grid, with a true caption naming all
/// four and two hard negatives — the same caption with one clause's articles swapped (positions wrong), and
/// with one article replaced by a class absent from the scene (items wrong).
public struct FashionScene: Codable, Sendable, Equatable {
    /// Fashion-MNIST image index in each cell (top left, top right, bottom left, bottom right).
    public var items: [Int]
    /// The label in each cell.
    public var labels: [Int]
    public var caption: FashionSceneCaption
    public var swappedPositions: FashionSceneCaption
    public var swappedItems: FashionSceneCaption

    /// The three captions in feature order: true, positions swapped, items swapped.
    public var captions: [FashionSceneCaption] { [caption, swappedPositions, swappedItems] }

    /// A random scene from `byClass` (image indices per label): 4 distinct classes in random cells, with
    /// captions from `FashionSceneCaption.random(for:using:)`.
    public static func random(byClass: [[Int]], using g: inout RandomGenerator) -> FashionScene {
        var classes = Array(0..<10)
        for i in 0..<4 { classes.swapAt(i, i + g.int(below: 10 - i)) }
        let labels = Array(classes[0..<4])
        let items = labels.map { byClass[$0][g.int(below: byClass[$0].count)] }
        let captions = FashionSceneCaption.random(for: labels, using: &g)
        return FashionScene(items: items, labels: labels, caption: captions.caption,
                            swappedPositions: captions.swappedPositions, swappedItems: captions.swappedItems)
    }

    /// The scene as a (2·h)×(2·w) image from the split's images.
    public func image(_ data: FashionMNIST) -> RGBImage {
        let (h, w) = (data.height, data.width)
        var pixels = [UInt8](repeating: 0, count: 4 * h * w * 3)
        for (cell, item) in items.enumerated() {
            let (oy, ox) = (cell / 2 * h, cell % 2 * w)
            for y in 0..<h {
                for x in 0..<w {
                    let v = data.images.bytes[item * h * w + y * w + x]
                    let p = ((oy + y) * 2 * w + ox + x) * 3
                    (pixels[p], pixels[p + 1], pixels[p + 2]) = (v, v, v)
                }
            }
        }
        return RGBImage(width: 2 * w, height: 2 * h, pixels: pixels)
    }

    /// `count` scenes drawn from `data` with a generator seeded by `seed`.
    public static func generate(count: Int, from data: FashionMNIST, seed: UInt64) -> [FashionScene] {
        var g = RandomGenerator(seed: seed)
        let byClass = data.indicesByClass()
        return (0..<count).map { _ in random(byClass: byClass, using: &g) }
    }
}
