import Imaging
import Tensors

/// ImageNet preprocessing for the pretrained image encoders: RGB bytes / 255, bilinear resize to a square
/// (`F.interpolate(mode="bilinear", align_corners=False)`, no anti-aliasing, aspect ratio not kept), then
/// per-channel `(x − mean) / std` with the ImageNet statistics (torchvision's `Normalize`).
public enum ImageNetPreprocessing {
    public static let mean: [Float] = [0.485, 0.456, 0.406]
    public static let std: [Float] = [0.229, 0.224, 0.225]

    /// A batch [N, 3, size, size] of images of any sizes.
    public static func batch(_ images: [RGBImage], size: Int = EfficientNetLite0.imageSize) -> Tensor {
        let out = Tensor(uninitialized: [images.count, 3, size, size])
        let plane = 3 * size * size
        for (i, image) in images.enumerated() {
            let one = normalizeChannels(resizeBilinear(image.tensor(), height: size, width: size), mean: mean, std: std)
            (out.mutableData + i * plane).update(from: one.data, count: plane)
        }
        return out
    }
}
