import NN
import Tensors

/// EfficientNet-Lite0 for inference with each BatchNorm folded into its convolution (made by
/// `EfficientNetLite0.folded()`): the same function as the module in evaluation mode, with about a third
/// fewer passes over the activations. Holds copies of the weights, so later changes to the module do not
/// reach it. Not recorded on the tape.
public final class FoldedEfficientNetLite0: @unchecked Sendable {
    /// A convolution with its BatchNorm folded in: weight [O, C/groups, k, k] and bias [O].
    struct FoldedConv {
        let weight: Tensor
        let bias: Tensor
        let stride: Int
        let groups: Int

        init(_ conv: Conv2d, _ bn: BatchNorm2d) {
            let out = conv.weight.shape[0], per = conv.weight.count / out
            weight = Tensor(uninitialized: conv.weight.shape)
            bias = Tensor(uninitialized: [out])
            let (w, fw, fb) = (conv.weight.data, weight.mutableData, bias.mutableData)
            let (gamma, beta, mean, variance) = (bn.weight.data, bn.bias.data, bn.runningMean.data, bn.runningVar.data)
            for o in 0..<out {
                let scale = gamma[o] / (variance[o] + bn.eps).squareRoot()
                for i in 0..<per { fw[o * per + i] = w[o * per + i] * scale }
                fb[o] = beta[o] - mean[o] * scale
            }
            (stride, groups) = (conv.stride.0, conv.groups)
        }

        func callAsFunction(_ x: Tensor) -> Tensor {
            conv2dSamePadding(x, weight: weight, bias: bias, stride: stride, groups: groups)
        }
    }

    /// One MBConv block: expansion (optional), depthwise and projection convolutions.
    struct Block {
        let expand: FoldedConv?
        let depthwise: FoldedConv
        let project: FoldedConv
        let hasResidual: Bool

        func callAsFunction(_ x: Tensor) -> Tensor {
            var h = x
            if let expand { h = relu6(expand(h)) }
            h = project(relu6(depthwise(h)))
            return hasResidual ? h + x : h
        }
    }

    let stem: FoldedConv
    let blocks: [Block]
    let head: FoldedConv
    let fcWeight: Tensor
    let fcBias: Tensor

    init(_ model: EfficientNetLite0) {
        stem = FoldedConv(model.convStem, model.bn0)
        blocks = model.blocks.layers.map { layer in
            let b = layer as! MBConvBlock
            let expand = b.expandConv.flatMap { conv in b.bn0.map { FoldedConv(conv, $0) } }
            return Block(expand: expand, depthwise: FoldedConv(b.depthwiseConv, b.bn1),
                         project: FoldedConv(b.projectConv, b.bn2), hasResidual: b.hasResidual)
        }
        head = FoldedConv(model.convHead, model.bn1)
        fcWeight = model.fc.weight.copy()
        fcBias = model.fc.bias!.copy()
    }

    /// The last feature map [N, 1280, ⌈H/32⌉, ⌈W/32⌉] of normalised images [N, 3, H, W].
    public func featureMap(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4 && images.shape[1] == 3, "FoldedEfficientNetLite0: images must be [N, 3, H, W], got \(images.shape)")
        return Tape.withoutRecording {
            let x = blocks.reduce(relu6(stem(images))) { $1($0) }
            return relu6(head(x))
        }
    }

    /// Region tokens, pooled features and ImageNet logits of normalised images [N, 3, H, W].
    public func callAsFunction(_ images: Tensor) -> ImageFeatures {
        let map = featureMap(images)
        return Tape.withoutRecording { ImageFeatures(featureMap: map) { linear($0, weight: fcWeight, bias: fcBias) } }
    }
}
