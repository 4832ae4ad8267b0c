import Tensors

/// 2-D convolution over NCHW input (torch.nn.Conv2d without dilation) with PyTorch's keys (`weight`
/// [out, in/groups, kh, kw], `bias` [out]) and default init (kaiming-uniform with a = √5, i.e.
/// U(−1/√fanIn, 1/√fanIn) for weight and bias, fanIn = in/groups · kh · kw), drawn from `Random.generator`.
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let groups: Int

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), groups: Int = 1, bias: Bool = true
    ) {
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2d: \(inChannels) input and \(outChannels) output channels are not divisible by groups = \(groups)")
        let fanIn = inChannels / groups * kernelSize.0 * kernelSize.1
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Tensor.uniform([outChannels, inChannels / groups, kernelSize.0, kernelSize.1], low: -bound, high: bound,
                                using: &Random.generator)
        self.bias = bias ? Tensor.uniform([outChannels], low: -bound, high: bound, using: &Random.generator) : nil
        (self.stride, self.padding, self.groups) = (stride, padding, groups)
        super.init()
        register(parameter: "weight", weight)
        if let b = self.bias { register(parameter: "bias", b) }
    }

    /// A square kernel, stride and padding.
    public convenience init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1,
        bias: Bool = true
    ) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: (padding, padding), groups: groups, bias: bias)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, groups: groups)
    }
}

extension Conv2d: UnaryLayer {}
