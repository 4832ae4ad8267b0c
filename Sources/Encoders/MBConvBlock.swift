import NN
import Tensors

/// EfficientNet-Lite's mobile inverted bottleneck (no squeeze-excitation): an optional 1×1 expansion
/// convolution, a depthwise k×k convolution with TensorFlow "SAME" padding, each followed by BatchNorm and
/// ReLU6, then a 1×1 projection with BatchNorm and no activation; a residual connection when the stride is 1
/// and the channel count is unchanged. Keys as the PyTorch port (`efficientnet_lite_pytorch`):
/// `_expand_conv.weight`, `_bn0.*` (only when expanding), `_depthwise_conv.weight`, `_bn1.*`,
/// `_project_conv.weight`, `_bn2.*`. Convolutions have no bias; BatchNorm eps is 1e-3, momentum 0.01.
public final class MBConvBlock: Module, UnaryLayer {
    public let expandConv: Conv2d?
    public let bn0: BatchNorm2d?
    public let depthwiseConv: Conv2d
    public let bn1: BatchNorm2d
    public let projectConv: Conv2d
    public let bn2: BatchNorm2d
    public let kernelSize: Int
    public let stride: Int
    /// Whether the block adds its input to its output.
    public let hasResidual: Bool

    public init(inChannels: Int, outChannels: Int, expandRatio: Int, kernelSize: Int, stride: Int) {
        let hidden = inChannels * expandRatio
        if expandRatio != 1 {
            expandConv = Conv2d(inChannels, hidden, kernelSize: 1, bias: false)
            bn0 = EfficientNetLite0.batchNorm(hidden)
        } else {
            (expandConv, bn0) = (nil, nil)
        }
        depthwiseConv = Conv2d(hidden, hidden, kernelSize: kernelSize, stride: stride, groups: hidden, bias: false)
        bn1 = EfficientNetLite0.batchNorm(hidden)
        projectConv = Conv2d(hidden, outChannels, kernelSize: 1, bias: false)
        bn2 = EfficientNetLite0.batchNorm(outChannels)
        (self.kernelSize, self.stride) = (kernelSize, stride)
        hasResidual = stride == 1 && inChannels == outChannels
        super.init()
        if let expandConv, let bn0 {
            register(module: "_expand_conv", expandConv)
            register(module: "_bn0", bn0)
        }
        register(module: "_depthwise_conv", depthwiseConv)
        register(module: "_bn1", bn1)
        register(module: "_project_conv", projectConv)
        register(module: "_bn2", bn2)
    }

    /// [N, inChannels, H, W] → [N, outChannels, ⌈H/stride⌉, ⌈W/stride⌉].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        if let expandConv, let bn0 { h = relu6(bn0(expandConv(h))) }
        h = conv2dSamePadding(h, weight: depthwiseConv.weight, stride: stride, groups: depthwiseConv.groups)
        h = bn2(projectConv(relu6(bn1(h))))
        return hasResidual ? h + x : h
    }
}
