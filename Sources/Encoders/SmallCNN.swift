import NN
import Tensors

/// The Sort-of-CLEVR paper's image encoder: 4 convolutions (3×3, stride 2, padding 1), each followed by
/// BatchNorm and ReLU, turning a 75×75 image into a 5×5 grid of region features. Each region gets its (x, y)
/// centre in −1…1 appended, as the paper's relation network does, so attention can use positions.
/// Keys: `layers.0.weight` (conv), `layers.1.*` (batch norm), … `layers.11.*`.
public final class SmallCNN: Module {
    public let layers: Sequential
    public let channels: Int

    public init(inputChannels: Int = 3, channels: Int = 24, depth: Int = 4) {
        self.channels = channels
        var stack: [any UnaryLayer] = []
        for i in 0..<depth {
            stack += [Conv2d(i == 0 ? inputChannels : channels, channels, kernelSize: 3, stride: 2, padding: 1),
                      BatchNorm2d(channels), ReLU()]
        }
        layers = Sequential(stack)
        super.init()
        register(module: "layers", layers)
    }

    /// Width of each region feature: the channels plus 2 coordinates.
    public var regionDim: Int { channels + 2 }

    /// Region features [B, H'·W', channels + 2] (row-major over the grid) for images [B, C, H, W].
    public func callAsFunction(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4, "SmallCNN: images must be [B, C, H, W], got \(images.shape)")
        let maps = layers(images)
        let (b, c, h, w) = (maps.shape[0], maps.shape[1], maps.shape[2], maps.shape[3])
        let regions = transpose(reshape(maps, [b, c, h * w]), 1, 2)
        return concat([regions, Self.coordinates(batch: b, height: h, width: w)], axis: 2)
    }

    /// [B, h·w, 2] region centres (x, y), each in −1…1, row-major over the grid.
    public static func coordinates(batch: Int, height: Int, width: Int) -> Tensor {
        let cell = (0..<(height * width)).flatMap { i -> [Float] in
            [Float(i % width) / Float(max(width - 1, 1)) * 2 - 1, Float(i / width) / Float(max(height - 1, 1)) * 2 - 1]
        }
        return Tensor(shape: [batch, height * width, 2], Array((0..<batch).map { _ in cell }.joined()))
    }
}
