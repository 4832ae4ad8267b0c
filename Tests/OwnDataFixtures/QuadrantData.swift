import Foundation
import Imaging
import OwnData

/// A small data set on disk for the own-data and serving tests: 24×24 images, each with one coloured square in a quadrant,
/// and questions about it ("where is the red square?" → "top left"), in a temporary directory.
public struct QuadrantData {
    public static let colors: [(String, RGB)] = [("red", RGB(220, 30, 30)), ("green", RGB(30, 180, 30)), ("blue", RGB(30, 30, 220))]
    public static let quadrants = ["top left", "top right", "bottom left", "bottom right"]

    public let directory: URL

    /// Writes `images` images and `train.jsonl` / `val.jsonl` manifests (every fifth image in val). `textured`
    /// adds seeded noise of ±12 to every pixel: flat colours give convolutions and max pooling exact ties that
    /// rounding breaks differently in different batch layouts (data-parallel comparisons need none).
    public init(images: Int = 24, textured: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("own-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("images"), withIntermediateDirectories: true)
        var train: [String] = [], val: [String] = []
        for i in 0..<images {
            let (name, color) = Self.colors[i % 3], quadrant = (i / 3) % 4
            var image = RGBImage(width: 24, height: 24)
            image.fillRect(x: quadrant % 2 * 12 + 2, y: quadrant / 2 * 12 + 2, width: 8, height: 8, color: color)
            if textured {
                var state = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 &+ 1
                for p in image.pixels.indices {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    image.pixels[p] = UInt8(clamping: Int(image.pixels[p]) + Int(state >> 59) - 12)
                }
            }
            let path = "images/\(i).png"
            try PNG.write(image, to: directory.appendingPathComponent(path))
            let line = #"{"image": "\#(path)", "text": "where is the \#(name) square?", "label": "\#(Self.quadrants[quadrant])", "group": "\#(name)"}"#
            if i % 5 == 4 { val.append(line) } else { train.append(line) }
        }
        try write("train.jsonl", train)
        try write("val.jsonl", val)
    }

    public func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Writes `lines` as the manifest `name`.
    public func write(_ name: String, _ lines: [String]) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url(name))
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }

    /// A small-CNN + learned-text config for this data.
    public static func config(_ task: ImageTextModelConfig.Task = .classify, fusion: ImageTextModelConfig.Fusion = .coAttention) -> ImageTextModelConfig {
        var config = ImageTextModelConfig(task: task, fusion: fusion, imageEncoder: .smallCNN, textEncoder: .learned)
        config.imageSize = 24
        config.width = 16
        return config
    }
}
