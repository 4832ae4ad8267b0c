import Tensors

/// Max pooling as a parameter-free layer (torch.nn.MaxPool2d); `stride` defaults to the kernel size.
public final class MaxPool2d: Module {
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)

    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
        super.init()
    }

    /// A square kernel, stride and padding.
    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { maxPool2d(x, kernel: kernelSize, stride: stride, padding: padding) }
}

/// Average pooling as a parameter-free layer (torch.nn.AvgPool2d with `count_include_pad=True`);
/// `stride` defaults to the kernel size.
public final class AvgPool2d: Module {
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)

    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
        super.init()
    }

    /// A square kernel, stride and padding.
    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { avgPool2d(x, kernel: kernelSize, stride: stride, padding: padding) }
}

/// Adaptive average pooling to a fixed output size as a parameter-free layer (torch.nn.AdaptiveAvgPool2d).
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: (Int, Int)

    public init(outputSize: (Int, Int)) {
        self.outputSize = outputSize
        super.init()
    }

    /// A square output.
    public convenience init(outputSize: Int) { self.init(outputSize: (outputSize, outputSize)) }

    public func callAsFunction(_ x: Tensor) -> Tensor { adaptiveAvgPool2d(x, outputSize: outputSize) }
}

extension MaxPool2d: UnaryLayer {}
extension AvgPool2d: UnaryLayer {}
extension AdaptiveAvgPool2d: UnaryLayer {}
