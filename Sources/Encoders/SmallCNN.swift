import NN
import Tensors

/// The Sort-of-CLEVR paper's image encoder: 4 convolutions (3×3, stride 2, padding 1), each followed by
/// BatchNorm and ReLU, turning a 75×75 image into a 5×5 grid of region features. Each region also gets the
/// first block's features max-pooled over its cell — low-level colour and edge detectors that say cleanly
/// which colours a cell holds, so attention can find "the red object" long before the deep features learn
/// to — and its (x, y) centre, as the paper's relation network does, so attention can use positions. The
/// centre is in −`coordinateScale`…`coordinateScale` (default ±5): at ±1 the two coordinates are too faint
/// next to 48 BatchNorm'd channels and the model takes thousands of steps to read "left" or "top" from them.
/// A third coordinate, (x² + y²) / `coordinateScale`, makes the squared distance to any point p linear in
/// the region's features (|c − p|² = |c|² − 2 c·p + |p|²): a query that holds p can then pick the closest
/// or furthest region in one attention hop, instead of a feed-forward learning the quadratic.
/// Keys: `layers.0.weight` (conv), `layers.1.*` (batch norm), … `layers.11.*`.
public final class SmallCNN: Module {
    public let layers: Sequential
    public let channels: Int
    public let coordinateScale: Float

    public init(inputChannels: Int = 3, channels: Int = 24, depth: Int = 4, coordinateScale: Float = 5) {
        precondition(depth >= 1, "SmallCNN: depth must be at least 1, got \(depth)")
        (self.channels, self.coordinateScale) = (channels, coordinateScale)
        var stack: [any UnaryLayer] = []
        for i in 0..<depth {
            stack += [Conv2d(i == 0 ? inputChannels : channels, channels, kernelSize: 3, stride: 2, padding: 1),
                      BatchNorm2d(channels), ReLU()]
        }
        layers = Sequential(stack)
        super.init()
        register(module: "layers", layers)
    }

    /// Width of each region feature: deep and first-block channels plus 3 coordinates.
    public var regionDim: Int { 2 * channels + 3 }

    /// Region features [B, H'·W', 2·channels + 3] (row-major over the grid) for images [B, C, H, W].
    public func callAsFunction(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4, "SmallCNN: images must be [B, C, H, W], got \(images.shape)")
        var first = images
        for layer in layers.layers.prefix(3) { first = layer(first) }
        var maps = first
        for layer in layers.layers.dropFirst(3) { maps = layer(maps) }
        let (b, c, h, w) = (maps.shape[0], maps.shape[1], maps.shape[2], maps.shape[3])
        let pooled = Self.cellMaxPool(first, height: h, width: w)
        let regions = transpose(reshape(concat([maps, pooled], axis: 1), [b, 2 * c, h * w]), 1, 2)
        return concat([regions, Self.coordinates(batch: b, height: h, width: w, scale: coordinateScale)], axis: 2)
    }

    /// Max-pools maps [B, C, H, W] to [B, C, height, width]: windows of ⌈H / height⌉ with the padding that
    /// makes them tile the map (38 → 5: windows of 8, padding 1).
    static func cellMaxPool(_ x: Tensor, height: Int, width: Int) -> Tensor {
        func window(_ size: Int, _ cells: Int) -> (kernel: Int, padding: Int) {
            let kernel = (size + cells - 1) / cells
            let padding = (cells * kernel - size + 1) / 2
            precondition((size + 2 * padding - kernel) / kernel + 1 == cells && 2 * padding <= kernel,
                         "SmallCNN: cannot max-pool \(size) positions into \(cells) cells")
            return (kernel, padding)
        }
        let (y, xw) = (window(x.shape[2], height), window(x.shape[3], width))
        return maxPool2d(x, kernel: (y.kernel, xw.kernel), stride: (y.kernel, xw.kernel), padding: (y.padding, xw.padding))
    }

    /// [B, h·w, 3] region centres (x, y), each in −scale…scale, and (x² + y²) / scale, row-major over the grid.
    public static func coordinates(batch: Int, height: Int, width: Int, scale: Float = 1) -> Tensor {
        let cell = (0..<(height * width)).flatMap { i -> [Float] in
            let x = (Float(i % width) / Float(max(width - 1, 1)) * 2 - 1) * scale
            let y = (Float(i / width) / Float(max(height - 1, 1)) * 2 - 1) * scale
            return [x, y, (x * x + y * y) / scale]
        }
        return Tensor(shape: [batch, height * width, 3], Array((0..<batch).map { _ in cell }.joined()))
    }
}
