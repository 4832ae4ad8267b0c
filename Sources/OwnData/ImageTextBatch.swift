import Tensors

/// A batch for an `ImageTextModel`: some images, and texts that each refer to one of them.
public struct ImageTextBatch {
    /// The texts' side: token ids for an encoder inside the model, or token features of a frozen one.
    public enum Text {
        /// Ids [B·T] row-major, padded, for the learned or fine-tuned text encoder.
        case tokens([Int])
        /// Token features [B, T, D] (zero at padding) of a frozen encoder.
        case features(Tensor)
    }

    /// Images as the model's image side takes them: pixels [I, 3, H, W] for an encoder inside the model
    /// (0…1 for the small CNN, ImageNet-normalised for EfficientNet), or region features [I, R, D].
    public var images: Tensor
    public var text: Text
    /// [B, T], true at padding.
    public var textMask: Mask
    /// For each text, the index of its image in `images`.
    public var imageOfText: [Int]

    public init(images: Tensor, text: Text, textMask: Mask, imageOfText: [Int]) {
        precondition(imageOfText.count == textMask.shape[0] && imageOfText.allSatisfy { (0..<images.shape[0]).contains($0) },
                     "ImageTextBatch: \(imageOfText.count) image indices for \(textMask.shape[0]) texts and \(images.shape[0]) images")
        (self.images, self.text, self.textMask, self.imageOfText) = (images, text, textMask, imageOfText)
    }

    /// Number of texts (pairs).
    public var count: Int { imageOfText.count }
}
