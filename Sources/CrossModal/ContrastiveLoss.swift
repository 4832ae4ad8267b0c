import Tensors

/// CLIP's symmetric InfoNCE over a [B, B] image-to-text logit matrix whose diagonal holds the matched
/// pairs: the mean of cross-entropy over rows (image → text) and over columns (text → image).
public func contrastiveLoss(_ logits: Tensor) -> Tensor {
    precondition(logits.rank == 2 && logits.shape[0] == logits.shape[1], "contrastiveLoss: logits must be square, got \(logits.shape)")
    let targets = Array(0..<logits.shape[0])
    let imageToText = crossEntropy(logits, targets: targets)
    let textToImage = crossEntropy(transpose(logits), targets: targets)
    return mul(add(imageToText, textToImage), Tensor(0.5))
}
